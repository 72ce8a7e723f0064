//! Process guard speed and cost: `cargo bench -p paraakh-lockdown --bench process_guard`.
//!
//! Latency: a prohibited program (a copy of `sleep` named `anydesk`) is
//! started 20 times; the time from `spawn` to the guard's event is
//! measured, with kernel exec events and with polling. CPU: the guard's
//! process CPU time over 30 s idle, and over 30 s of ten short programs a
//! second (a busy desktop), scaled to a minute. Prints a table.

// Benchmark code: a panic is the failure report, and figures are printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::SystemClock;
use paraakh_lockdown::process::{Matcher, ProcessGuard, ProcessWatch, WatchOptions, WatchSource};

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn watch(exec_events: bool) -> ProcessWatch {
    let text = paraakh_policy::presets::text("standard").unwrap();
    let layer = paraakh_policy::parse(text).unwrap().processes;
    let guard = ProcessGuard::new(Matcher::from_policy(&layer)).unwrap();
    let w = ProcessWatch::start(
        guard,
        WatchOptions {
            exec_events,
            ..WatchOptions::default()
        },
        Arc::new(SystemClock),
    )
    .unwrap();
    while w.next_event(Duration::ZERO).is_some() {}
    w
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn latency(w: &ProcessWatch, exe: &std::path::Path) -> (f64, f64, f64) {
    let mut ms = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let mut child = std::process::Command::new(exe).arg("30").spawn().unwrap();
        let pid = child.id();
        loop {
            let e = w
                .next_event(Duration::from_secs(10))
                .expect("no event within 10 s");
            if e.finding.process.pid == pid {
                break;
            }
        }
        ms.push(start.elapsed().as_secs_f64() * 1e3);
        let _ = child.kill();
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(137));
    }
    (
        percentile(&mut ms, 0.5),
        percentile(&mut ms, 0.95),
        percentile(&mut ms, 1.0),
    )
}

/// CPU seconds per minute over `secs`, starting `per_second` short
/// programs a second meanwhile.
fn cpu_per_minute(secs: u64, per_second: u32) -> f64 {
    let before = cpu_seconds();
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        for _ in 0..per_second {
            let _ = std::process::Command::new("/bin/true").status();
        }
        std::thread::sleep(Duration::from_millis(1000 / u64::from(per_second.max(1))));
    }
    // Spawning costs this process CPU too: measured apart and taken off.
    let used = cpu_seconds() - before;
    used / secs as f64 * 60.0
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("anydesk");
    std::fs::copy("/bin/sleep", &exe).unwrap();

    println!("# Process guard\n");
    println!("| source | median | p95 | max |\n|---|---|---|---|");
    for exec_events in [true, false] {
        let w = watch(exec_events);
        let (p50, p95, max) = latency(&w, &exe);
        let name = match w.source() {
            WatchSource::ExecEvents => "kernel exec events (netlink)",
            WatchSource::Polling => "polling every 200 ms",
        };
        println!("| {name} | {p50:.1} ms | {p95:.1} ms | {max:.1} ms |");
    }

    // The cost of starting programs, without a guard, to subtract.
    let baseline_busy = cpu_per_minute(20, 10);
    let baseline_idle = cpu_per_minute(20, 0);
    println!(
        "\n| source | CPU per minute, idle desktop | CPU per minute, 10 new programs a second |\n|---|---|---|"
    );
    for exec_events in [true, false] {
        let w = watch(exec_events);
        let idle = cpu_per_minute(20, 0) - baseline_idle;
        let busy = cpu_per_minute(20, 10) - baseline_busy;
        let name = match w.source() {
            WatchSource::ExecEvents => "kernel exec events",
            WatchSource::Polling => "polling",
        };
        println!(
            "| {name} | {:.0} ms ({:.2} % of a core) | {:.0} ms ({:.2} % of a core) |",
            idle * 1e3,
            idle / 60.0 * 100.0,
            busy * 1e3,
            busy / 60.0 * 100.0
        );
    }
}
