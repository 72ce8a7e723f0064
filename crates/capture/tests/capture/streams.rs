//! Cameras and screens from replay sources.

use std::sync::Arc;
use std::time::Duration;

use paraakh_capture::camera::replay::{ImageDirCamera, Y4mCamera};
use paraakh_capture::camera::{CameraSource, CameraStream};
use paraakh_capture::screen::replay::ImageSequenceScreen;
use paraakh_capture::screen::{CaptureReason, ScreenRecorder, ScreenSettings};
use paraakh_capture::{CaptureError, Device};
use paraakh_evidence::clock::SystemClock;

use super::{consent_all, consent_none, write_images};

/// A stream of `fps` frames a second from `cam` into a queue of `capacity`,
/// with consent.
fn start(cam: impl CameraSource + 'static, fps: f32, capacity: usize) -> CameraStream {
    CameraStream::start(
        Box::new(cam),
        fps,
        capacity,
        &consent_all(),
        Arc::new(SystemClock),
    )
    .unwrap()
}

#[test]
fn a_replayed_camera_delivers_frames_in_order_with_rising_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    write_images(dir.path(), 3, 64, 48);
    let cam = ImageDirCamera::open(dir.path()).unwrap();
    let stream = start(cam, 50.0, 8);
    let frames: Vec<_> = (0..5)
        .map(|_| stream.next_frame(Duration::from_secs(5)).unwrap())
        .collect();
    for (i, f) in frames.iter().enumerate() {
        assert_eq!((f.width, f.height, f.seq), (64, 48, i as u64));
        // Looping through the three images: red channel 0, 40, 80, 0, 40.
        assert_eq!(f.rgb[0], ((i % 3) * 40) as u8);
    }
    assert!(frames.windows(2).all(|w| w[1].at.boot_ns > w[0].at.boot_ns));
}

#[test]
fn a_slow_reader_loses_the_oldest_frames_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    write_images(dir.path(), 2, 320, 240);
    let cam = ImageDirCamera::open(dir.path()).unwrap();
    let stream = start(cam, 60.0, 3);
    // Nobody reads for a while.
    std::thread::sleep(Duration::from_millis(500));
    assert!(stream.dropped() >= 10, "dropped {}", stream.dropped());
    // What is left is at most the queue's capacity, and the newest frames.
    let mut seqs = Vec::new();
    while let Some(f) = stream.next_frame(Duration::from_millis(1)) {
        seqs.push(f.seq);
        if seqs.len() > 3 {
            break;
        }
    }
    assert!(seqs.len() <= 4 && seqs[0] >= 10, "{seqs:?}");
}

#[test]
fn nothing_is_captured_without_consent() {
    let dir = tempfile::tempdir().unwrap();
    write_images(dir.path(), 1, 8, 8);
    let cam = ImageDirCamera::open(dir.path()).unwrap();
    let err = CameraStream::start(
        Box::new(cam),
        5.0,
        2,
        &consent_none(),
        Arc::new(SystemClock),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CaptureError::NotConsented {
                device: Device::Camera
            }
        ),
        "{err}"
    );
    let screen = ImageSequenceScreen::open(dir.path()).unwrap();
    let err = ScreenRecorder::new(
        Box::new(screen),
        ScreenSettings::default(),
        &consent_none(),
        Arc::new(SystemClock),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CaptureError::NotConsented {
                device: Device::Screen
            }
        ),
        "{err}"
    );
}

#[test]
fn a_camera_that_fails_becomes_events_and_then_stops() {
    let dir = tempfile::tempdir().unwrap();
    write_images(dir.path(), 2, 8, 8);
    let cam = ImageDirCamera::open(dir.path()).unwrap();
    // The images vanish after opening, as an unplugged device would.
    for f in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::write(f.unwrap().path(), b"gone").unwrap();
    }
    let stream = start(cam, 100.0, 2);
    assert!(stream.next_frame(Duration::from_secs(5)).is_none());
    assert!(stream.is_stopped());
    let events: Vec<_> = std::iter::from_fn(|| stream.next_event()).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.last().unwrap().stopped);
    assert!(
        events[0]
            .message
            .contains("is not a readable PNG or JPEG image"),
        "{}",
        events[0].message
    );
}

#[test]
fn bad_replay_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = ImageDirCamera::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("has no PNG or JPEG images"), "{err}");
    let err = ImageDirCamera::open(&dir.path().join("missing"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot read the directory"), "{err}");
    let y4m = dir.path().join("v.y4m");
    std::fs::write(&y4m, b"YUV4MPEG2 W4 H2 F25:1\n").unwrap();
    let err = Y4mCamera::open(&y4m).unwrap_err().to_string();
    assert!(err.contains("v.y4m") && err.contains("no frames"), "{err}");
    std::fs::write(&y4m, b"GIF89a").unwrap();
    let err = Y4mCamera::open(&y4m).unwrap_err().to_string();
    assert!(err.contains("not a YUV4MPEG2"), "{err}");
}

#[test]
fn a_y4m_video_replays_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("camera.y4m");
    let mut v = b"YUV4MPEG2 W16 H8 F5:1 Ip A1:1 C420jpeg\n".to_vec();
    for luma in [16u8, 235] {
        v.extend_from_slice(b"FRAME\n");
        v.extend(std::iter::repeat_n(luma, 16 * 8));
        v.extend(std::iter::repeat_n(128u8, 2 * 8 * 4));
    }
    std::fs::write(&path, v).unwrap();
    let cam = Y4mCamera::open(&path).unwrap();
    assert_eq!(cam.header().fps, Some((5, 1)));
    let stream = start(cam, 100.0, 8);
    let firsts: Vec<u8> = (0..4)
        .map(|_| stream.next_frame(Duration::from_secs(5)).unwrap().rgb[0])
        .collect();
    assert_eq!(firsts, vec![0, 255, 0, 255]);
}

#[test]
fn a_replayed_screen_skips_unchanged_pictures() {
    let dir = tempfile::tempdir().unwrap();
    // Five pictures: the same twice, a change, the same again twice.
    for (i, v) in [10u8, 10, 200, 200, 200].iter().enumerate() {
        image::RgbImage::from_pixel(640, 360, image::Rgb([*v, *v, *v]))
            .save(dir.path().join(format!("s{i}.png")))
            .unwrap();
    }
    let screen = ImageSequenceScreen::open(dir.path()).unwrap();
    let mut rec = ScreenRecorder::new(
        Box::new(screen),
        ScreenSettings {
            max_width: 320,
            ..ScreenSettings::default()
        },
        &consent_all(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let reasons: Vec<Vec<CaptureReason>> = (0..5)
        .map(|_| rec.tick().unwrap().iter().map(|c| c.reason).collect())
        .collect();
    assert_eq!(
        reasons,
        vec![
            vec![CaptureReason::First],
            vec![],
            vec![CaptureReason::Changed],
            vec![],
            vec![]
        ]
    );
    let s = rec.stats();
    assert_eq!((s.taken, s.stored, s.skipped), (5, 2, 3));
    let c = rec.capture_now().unwrap();
    assert_eq!(
        (c[0].width, c[0].height, c[0].reason),
        (320, 180, CaptureReason::OnDemand)
    );
}
