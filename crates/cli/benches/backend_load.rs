//! The reference backend under abuse, on loopback: while a real session
//! uploads, 500 connections that never finish their headers and 16 clients
//! sending 32 MiB bodies without a valid token hammer it; a prober asks
//! `/healthz` every 50 ms. Bounded (stops when the upload is done, at most
//! two minutes). Then one authenticated request with 500 copies of one
//! checkpoint. Prints the figures and exits 1 if a target is missed:
//! the upload completes, `/healthz` p99 < 100 ms, the backend grows by less
//! than 64 MB, and the duplicate checkpoints are refused at once.
//!
//! `cargo bench -p paraakh-cli --bench backend_load`

// A benchmark binary: printing is its output, a panic its failure report.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_paraakh");
const HALF_OPEN: usize = 500;
const BIG_BODIES: usize = 16;
const BIG_BODY: usize = 32 << 20;

fn paraakh(args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "paraakh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// One `GET /healthz` on a fresh connection: its latency.
fn health(addr: SocketAddr) -> Option<Duration> {
    let started = Instant::now();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    buf.starts_with(b"HTTP/1.1 200").then(|| started.elapsed())
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

struct Backend {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_backend(data: &Path, keys: &Path) -> Backend {
    let mut child = Command::new(BIN)
        .args([
            "ingest",
            "serve",
            "--data-dir",
            p(data),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--tenant", "acme", "--encryption-key"])
        .arg(keys.join("encryption.pub"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    Backend { child, addr }
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = t.join("keys");
    paraakh(&["keys", "generate", "--out", p(&keys)]);
    let data = t.join("backend");
    let backend = start_backend(&data, &keys);
    let url = format!("http://{}", backend.addr);
    let pid = backend.child.id();
    let tokens = t.join("tokens.json");
    paraakh(&[
        "ingest",
        "token",
        "--data-dir",
        p(&data),
        "--tenant",
        "acme",
        "--session-id",
        "s-load",
        "--exam",
        "physics",
        "--out",
        p(&tokens),
    ]);
    let session = t.join("s-load");
    paraakh(&[
        "session",
        "simulate",
        "--out",
        p(&session),
        "--tenant",
        "acme",
        "--exam",
        "physics",
        "--session-id",
        "s-load",
        "--encryption-key",
        p(&keys.join("encryption.pub")),
        "--events",
        "3000",
        "--blobs",
        "60",
        "--blob-size",
        "100000-400000",
        "--checkpoint-records",
        "64",
        "--server",
        &url,
        "--tokens",
        p(&tokens),
        "--backend-key",
        p(&data.join("backend.pub")),
    ]);
    std::thread::sleep(Duration::from_millis(300));
    let rss_before = rss_kb(pid);
    let stop = Arc::new(AtomicBool::new(false));

    // 500 connections that send half a request line and wait; reopened when the backend closes them.
    let half_open_closed = Arc::new(AtomicU64::new(0));
    let opener = {
        let (stop, closed, addr) = (
            Arc::clone(&stop),
            Arc::clone(&half_open_closed),
            backend.addr,
        );
        std::thread::spawn(move || {
            let mut conns: Vec<Option<TcpStream>> = (0..HALF_OPEN).map(|_| None).collect();
            while !stop.load(Ordering::Relaxed) {
                for slot in conns.iter_mut() {
                    let alive = slot.as_mut().is_some_and(|s| {
                        let mut b = [0u8; 1];
                        s.set_nonblocking(true).ok();
                        matches!(s.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
                    });
                    if !alive {
                        if slot.is_some() {
                            closed.fetch_add(1, Ordering::Relaxed);
                        }
                        *slot = TcpStream::connect(addr).ok().map(|mut s| {
                            let _ = s.write_all(b"POST /v1/sessions/x/checkpoints HT");
                            s
                        });
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // 16 clients sending 32 MiB bodies with a token that is no token.
    let big_sent = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let senders: Vec<_> = (0..BIG_BODIES)
        .map(|_| {
            let (stop, sent, refused, addr) = (
                Arc::clone(&stop),
                Arc::clone(&big_sent),
                Arc::clone(&refused),
                backend.addr,
            );
            std::thread::spawn(move || {
                let chunk = vec![b'x'; 1 << 20];
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        continue;
                    };
                    let head = format!(
                        "POST /v1/sessions/s-load/checkpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer forged\r\nContent-Type: application/json\r\nContent-Length: {BIG_BODY}\r\n\r\n"
                    );
                    if s.write_all(head.as_bytes()).is_err() {
                        continue;
                    }
                    for _ in 0..(BIG_BODY >> 20) {
                        if s.write_all(&chunk).is_err() {
                            break;
                        }
                        sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    }
                    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                    let mut answer = [0u8; 12];
                    if s.read_exact(&mut answer).is_ok() && &answer[9..12] == b"401" {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    // The prober and the memory sampler.
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let failed_probes = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let prober = {
        let (stop, lat, failed, peak, addr) = (
            Arc::clone(&stop),
            Arc::clone(&latencies),
            Arc::clone(&failed_probes),
            Arc::clone(&peak),
            backend.addr,
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match health(addr) {
                    Some(d) => lat.lock().unwrap().push(d),
                    None => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                peak.fetch_max(rss_kb(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    // The real upload, under all of it.
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    let sync = Command::new(BIN)
        .args([
            "sync",
            p(&session),
            "--server",
            &url,
            "--tokens",
            p(&tokens),
        ])
        .args(["--give-up-after", "120", "--json"])
        .output()
        .unwrap();
    let upload_secs = started.elapsed().as_secs_f64();
    // Keep the pressure a little longer than the header time limit.
    std::thread::sleep(Duration::from_secs(12));
    stop.store(true, Ordering::Relaxed);
    opener.join().unwrap();
    for s in senders {
        s.join().unwrap();
    }
    prober.join().unwrap();
    let complete = serde_json::from_slice::<serde_json::Value>(&sync.stdout)
        .map(|d| d["complete"] == true)
        .unwrap_or(false);

    // 500 copies of one checkpoint, with the session's own token.
    let access = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&tokens).unwrap())
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let note = {
        use paraakh_evidence::frame::{FileKind, parse_all};
        let bytes = std::fs::read(session.join("checkpoints")).unwrap();
        String::from_utf8(
            parse_all(&bytes, FileKind::Checkpoints).0[0]
                .payload
                .clone(),
        )
        .unwrap()
    };
    let request = serde_json::json!({
        "first_seq": 0,
        "records": [],
        "checkpoints": vec![note; 500],
    })
    .to_string();
    let dup_started = Instant::now();
    let mut s = TcpStream::connect(backend.addr).unwrap();
    write!(
        s,
        "POST /v1/sessions/s-load/checkpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {access}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{request}",
        request.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let dup_ms = dup_started.elapsed().as_secs_f64() * 1e3;
    let dup_refused = answer.starts_with("HTTP/1.1 400");

    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let rss_peak = peak.load(Ordering::Relaxed);
    let growth_mb = rss_peak.saturating_sub(rss_before) as f64 / 1024.0;
    let p99 = percentile(&lat, 0.99);
    println!(
        "backend under abuse ({} cores): {HALF_OPEN} half-open connections ({} closed by the backend and reopened), {BIG_BODIES} clients sending {BIG_BODY}-byte bodies without a token ({:.0} MB written into their sockets, none of it read; {} answered 401)",
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1),
        half_open_closed.load(Ordering::Relaxed),
        big_sent.load(Ordering::Relaxed) as f64 / 1e6,
        refused.load(Ordering::Relaxed),
    );
    println!(
        "  real upload: {} in {upload_secs:.1} s",
        if complete { "complete" } else { "NOT complete" }
    );
    println!(
        "  /healthz: {} probes, {} failed; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 100 ms)",
        lat.len(),
        failed_probes.load(Ordering::Relaxed),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!(
        "  backend RSS: {:.0} MB before, {:.0} MB peak: +{growth_mb:.0} MB (target < 64 MB)",
        rss_before as f64 / 1024.0,
        rss_peak as f64 / 1024.0
    );
    println!(
        "  500 copies of one checkpoint in one request: {} in {dup_ms:.1} ms",
        if dup_refused {
            "refused (400)"
        } else {
            "NOT refused"
        }
    );
    let ok = complete
        && p99 < Duration::from_millis(100)
        && growth_mb < 64.0
        && dup_refused
        && failed_probes.load(Ordering::Relaxed) == 0;
    if !ok {
        eprintln!("a target was missed");
        std::process::exit(1);
    }
}
