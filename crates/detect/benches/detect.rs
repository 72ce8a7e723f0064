//! Detector speed and memory:
//! `PARAAKH_ONNXRUNTIME=... PARAAKH_DETECT_DATA=... cargo bench -p paraakh-detect --bench detect`.

// Benchmark code: a panic is the failure report, and figures are printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use paraakh_detect::vad::CHUNK;
use paraakh_detect::{
    FaceConfig, FaceDetector, QualityTracker, RgbImage, Runtime, RuntimeConfig, VoiceDetector,
};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn frame() -> RgbImage {
    let dir = PathBuf::from(std::env::var_os("PARAAKH_DETECT_DATA").expect("PARAAKH_DETECT_DATA"));
    let img = image::open(dir.join("astronaut.png")).unwrap().to_rgb8();
    // A 640×480 frame with the astronaut's face about 75 px wide.
    let mut canvas = image::RgbImage::from_pixel(640, 480, image::Rgb([90, 100, 110]));
    let face = image::imageops::resize(&img, 400, 400, image::imageops::FilterType::Triangle);
    image::imageops::overlay(&mut canvas, &face, 120, 40);
    RgbImage::new(640, 480, canvas.into_raw()).unwrap()
}

fn benches(c: &mut Criterion) {
    if std::env::var_os("PARAAKH_ONNXRUNTIME").is_none()
        || std::env::var_os("PARAAKH_DETECT_DATA").is_none()
    {
        eprintln!(
            "set PARAAKH_ONNXRUNTIME and PARAAKH_DETECT_DATA (scripts/fetch-onnxruntime, scripts/fetch-detect-data)"
        );
        return;
    }
    let before = rss_mb();
    let rt = Runtime::load(&RuntimeConfig {
        library: None,
        models: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")),
    })
    .unwrap();
    let mut full = FaceDetector::new(&rt, FaceConfig::default()).unwrap();
    let mut voice = VoiceDetector::new(&rt).unwrap();
    let frame = frame();
    full.detect(&frame).unwrap();
    voice.process(&[0.0; CHUNK]).unwrap();
    println!(
        "memory: {:.0} MB RSS with ONNX Runtime and all three models loaded and run once (process before: {before:.0} MB)",
        rss_mb()
    );

    let mut g = c.benchmark_group("face");
    let mut near = FaceDetector::new(
        &rt,
        FaceConfig {
            small_faces: false,
            tiles: 0,
            ..FaceConfig::default()
        },
    )
    .unwrap();
    g.bench_function("near_path_640x480", |b| {
        b.iter(|| near.detect_near(&frame).unwrap())
    });
    let mut both = FaceDetector::new(
        &rt,
        FaceConfig {
            tiles: 0,
            ..FaceConfig::default()
        },
    )
    .unwrap();
    g.bench_function("near_and_full_range_640x480", |b| {
        b.iter(|| both.detect(&frame).unwrap())
    });
    g.bench_function("default_with_tiles_640x480", |b| {
        b.iter(|| full.detect(&frame).unwrap())
    });
    let mut q = QualityTracker::new();
    g.bench_function("frame_quality_640x480", |b| b.iter(|| q.measure(&frame)));
    g.finish();

    let mut g = c.benchmark_group("voice");
    let chunk: Vec<f32> = (0..CHUNK).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
    g.bench_function("vad_chunk_32ms", |b| {
        b.iter(|| voice.process(&chunk).unwrap())
    });
    g.finish();
    println!("memory after the benchmarks: {:.0} MB RSS", rss_mb());
}

criterion_group!(detect, benches);
criterion_main!(detect);
