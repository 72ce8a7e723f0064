//! Figures for a 3-hour-sized session, printed as a table:
//! `cargo bench -p paraakh-evidence --bench session_scale`.
//!
//! 1. Group commit: records appended per second, and how long after its
//!    append each record became durable (the target is 250 ms).
//! 2. Verify: a simulated session of ≥ 50,000 records and ≥ 2,000 blobs
//!    totalling ≥ 500 MB, verified three times without and with the tenant
//!    key (median wall time, records/s, blob MB/s, peak RSS). Target: < 5 s.
//! 3. Memory against blob size: the same bytes in 20 blobs of 25 MB.
//! 4. A crafted log tail (5 MiB in which every fourth offset announces a
//!    512 KiB frame): verify reports it as damage in time linear in the
//!    file, not in the frames it announces.
//!
//! `PARAAKH_BENCH_SCALE=0.1` shrinks everything for a quick look;
//! `PARAAKH_BENCH_DIR` chooses where sessions are written (default: a temp dir).

// Test and benchmark code: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use paraakh_evidence::keys::SIG_TYPE_ED25519;
use paraakh_evidence::record::{ClientInfo, Event, HexHash};
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::{
    Body, NoteSigner, NoteVerifier, SessionParams, SessionWriter, Severity, Status, SystemClock,
    TenantSecretKey, VerifyOptions, verify,
};

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Resets the peak-RSS counter (Linux: writing 5 to clear_refs).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn scaled(n: u64, scale: f64) -> u64 {
    ((n as f64 * scale).round() as u64).max(1)
}

fn group_commit(dir: &std::path::Path, tenant: &TenantSecretKey) {
    let device = NoteSigner::generate("device", SIG_TYPE_ED25519).unwrap();
    let params = SessionParams {
        session_id: "bench".into(),
        exam_id: "exam".into(),
        tenant_id: "tenant".into(),
        policy_sha256: [0; 32],
        client: ClientInfo {
            version: "bench".into(),
            build_sha256: HexHash([0; 32]),
        },
        tenant_key: tenant.public(),
        backend_key: None,
        statement: None,
    };
    let event = || {
        let mut detail = serde_json::Map::new();
        detail.insert("duration_ms".into(), 1234.into());
        Body::Event(Event {
            kind: "focus_lost".into(),
            message: Some("The exam window lost focus".into()),
            detail,
        })
    };

    // Throughput: as fast as possible.
    let mut w = SessionWriter::create(
        &dir.join("throughput"),
        params.clone(),
        &device,
        Arc::new(SystemClock),
    )
    .unwrap();
    let n = 200_000u64;
    let t = Instant::now();
    for _ in 0..n {
        w.append(Severity::Info, event()).unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "group commit: {n} info records appended in {secs:.2} s = {:.0} records/s",
        n as f64 / secs
    );
    let mut w2 = SessionWriter::create(
        &dir.join("high"),
        params.clone(),
        &device,
        Arc::new(SystemClock),
    )
    .unwrap();
    let m = 2_000u64;
    let t = Instant::now();
    for _ in 0..m {
        w2.append(Severity::High, event()).unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "high severity (fsync before return): {:.0} records/s, {:.2} ms each",
        m as f64 / secs,
        secs * 1e3 / m as f64
    );
    drop((w, w2));

    // Latency: 500 records/s for 5 s; a watcher notes when each became durable.
    let w = Arc::new(std::sync::Mutex::new(
        SessionWriter::create(&dir.join("latency"), params, &device, Arc::new(SystemClock))
            .unwrap(),
    ));
    let appended: Arc<std::sync::Mutex<Vec<Instant>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (w, appended, stop) = (Arc::clone(&w), Arc::clone(&appended), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let mut seen = 1u64; // the header was synced on create
            while !stop.load(Ordering::Relaxed) || latencies.len() < appended.lock().unwrap().len()
            {
                let durable = w.lock().unwrap().durable_records();
                let now = Instant::now();
                let times = appended.lock().unwrap();
                while seen < durable {
                    latencies.push(now.duration_since(times[(seen - 1) as usize]));
                    seen += 1;
                }
                drop(times);
                std::thread::sleep(Duration::from_millis(1));
            }
            latencies
        })
    };
    for _ in 0..2_500 {
        let mut guard = w.lock().unwrap();
        guard.append(Severity::Info, event()).unwrap();
        appended.lock().unwrap().push(Instant::now());
        drop(guard);
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, Ordering::Relaxed);
    let mut lat = watcher.join().unwrap();
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "durability latency of info records (2,500 at 500/s): median {:.0} ms, p99 {:.0} ms, max {:.0} ms (target ≤ 250 ms)",
        ms(lat[lat.len() / 2]),
        ms(lat[lat.len() * 99 / 100]),
        ms(lat[lat.len() - 1])
    );
}

fn verify_session(
    label: &str,
    dir: &std::path::Path,
    tenant: &TenantSecretKey,
    backend_key: &str,
    runs: usize,
) {
    for with_key in [false, true] {
        let mut times = Vec::new();
        let mut rss = 0;
        let mut last = None;
        for _ in 0..runs {
            let opts = VerifyOptions {
                tenant_key: with_key.then(|| TenantSecretKey::parse(&tenant.encode()).unwrap()),
                backend_key: Some(NoteVerifier::parse(backend_key).unwrap()),
                ..VerifyOptions::default()
            };
            reset_peak_rss();
            let base = peak_rss_kb();
            let t = Instant::now();
            let report = verify(dir, &opts).unwrap();
            times.push(t.elapsed().as_secs_f64());
            rss = rss.max(peak_rss_kb().saturating_sub(base));
            assert_eq!(
                report.status,
                Status::Intact,
                "{:?}",
                report.findings.first()
            );
            last = Some(report);
        }
        let r = last.unwrap();
        let secs = median(times);
        println!(
            "verify {label} {}: {} records, {} blobs, {:.0} MB: median {secs:.2} s of {runs} = {:.0} records/s, {:.0} MB/s blobs; peak RSS +{} MB (total {} MB)",
            if with_key {
                "with tenant key (decrypt all)"
            } else {
                "without key (hashes)"
            },
            r.records,
            r.blobs.verified,
            r.blobs.bytes as f64 / 1e6,
            r.records as f64 / secs,
            r.blobs.bytes as f64 / 1e6 / secs,
            rss / 1024,
            peak_rss_kb() / 1024,
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a list; there is nothing to list
    }
    let scale: f64 = std::env::var("PARAAKH_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let root = match std::env::var_os("PARAAKH_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    println!(
        "machine: {} cores; scale {scale}",
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
    );
    let tenant = TenantSecretKey::generate("bench").unwrap();
    group_commit(root.path(), &tenant);

    let mut opts = SimulateOptions::new(tenant.public(), 1_790_000_000_000_000_000);
    opts.events = scaled(50_000, scale);
    opts.blobs = scaled(2_000, scale);
    opts.blob_size = (150_000, 350_000);
    opts.questions = 40;
    opts.checkpoint_every = 256;
    opts.receipt_lag = 0;
    let dir = root.path().join("three-hours");
    let t = Instant::now();
    let s = simulate(&dir, &opts).unwrap();
    println!(
        "simulated a 3-hour-sized session: {} records, {} blobs, {:.0} MB in {:.1} s",
        s.records,
        s.blobs,
        s.blob_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    verify_session("3-hour session", &dir, &tenant, &s.backend_key, 3);

    // The same bytes in few large blobs: memory must not follow blob size.
    let mut big = opts.clone();
    big.events = scaled(2_000, scale);
    big.blobs = scaled(20, scale);
    big.blob_size = (25_000_000, 25_000_000);
    let dir = root.path().join("large-blobs");
    let s = simulate(&dir, &big).unwrap();
    verify_session("large blobs (25 MB each)", &dir, &tenant, &s.backend_key, 1);

    crafted_tail(root.path(), &tenant);
}

fn crafted_tail(root: &std::path::Path, tenant: &TenantSecretKey) {
    let dir = root.join("crafted");
    let mut opts = SimulateOptions::new(tenant.public(), 1_790_000_000_000_000_000);
    opts.events = 200;
    opts.blobs = 2;
    simulate(&dir, &opts).unwrap();
    let mut log = std::fs::read(dir.join("log")).unwrap();
    log.extend_from_slice(&[0xff; 8]);
    while log.len() < 5 << 20 {
        log.extend_from_slice(&[0x00, 0x08, 0x00, 0x00]);
    }
    std::fs::write(dir.join("log"), log).unwrap();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let report = verify(&dir, &VerifyOptions::default()).unwrap();
        times.push(t.elapsed().as_secs_f64());
        assert_eq!(report.status, Status::Invalid);
    }
    println!(
        "verify a session whose log ends in a crafted 5 MiB tail: median {:.3} s of 3 (reported as damage)",
        median(times)
    );
}
