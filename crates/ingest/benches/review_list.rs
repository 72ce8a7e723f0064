//! The reviewer API's latency with 10,000 sessions in the index: a
//! backend on loopback with its index in a SQLite file (as `ingest serve`
//! keeps it), then in PostgreSQL (a private server of Debian's
//! `postgresql-15`, as replicas share it; skipped when not installed), a
//! reviewer's token, and the listings a review desk makes — the
//! first page, the pending sessions, the serious ones, one session, and
//! every page of the whole tenant — each timed over HTTP, every request
//! also appended to the access log. Prints p50/p99; exits 1 if a first
//! page's p99 is over 100 ms.
//!
//! `cargo bench -p paraakh-ingest --bench review_list`

// A benchmark binary: printing is its output, a panic its failure report.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use paraakh_evidence::Severity;
use paraakh_ingest::index::{Index, Upload};
use paraakh_ingest::{Backend, BackendKeys, Limits, open_store};
use paraakh_policy::jwt::Role;

const SESSIONS: usize = 10_000;
const ROUNDS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let mut ok = run("SQLite", |data| {
        Index::open_sqlite(&data.join("index.sqlite")).unwrap()
    });
    if paraakh_test_rig::postgres::Postgres::available() {
        let server = paraakh_test_rig::postgres::Postgres::start().unwrap();
        let url = server.database("bench").unwrap();
        ok &= run("PostgreSQL", |_| Index::open(&url).unwrap());
    } else {
        eprintln!("PostgreSQL is not installed: its figures are skipped");
    }
    if !ok {
        eprintln!("target missed: the first page's p99 under 100 ms");
        std::process::exit(1);
    }
}

/// Fills an index made by `open` and times the listings; false if a target is missed.
fn run(label: &str, open: impl FnOnce(&std::path::Path) -> Index) -> bool {
    println!("index on {label}:");
    let data = tempfile::tempdir().unwrap();
    BackendKeys::init(data.path(), "ingest.bench", &["acme".to_owned()], None).unwrap();
    let keys = BackendKeys::load(data.path()).unwrap();
    let token = paraakh_ingest::tokens::issue_staff(&keys, "acme", Role::Reviewer, "alice", 3600)
        .unwrap()
        .access_token;
    let index = open(data.path());
    let started = Instant::now();
    for i in 0..SESSIONS {
        let serious = (i % 7 == 0) as u64 * (1 + (i % 3) as u64);
        index
            .record_upload(&Upload {
                tenant: "acme",
                session_id: &format!("s-{i:06}"),
                exam_id: Some(if i % 2 == 0 { "physics" } else { "biology" }),
                records: 2_000 + (i % 500) as u64,
                ended: i % 10 != 0,
                max_severity: Some(Severity::ALL[i % 5]),
                serious_events: serious,
                at: 1_790_000_000 + i as i64,
            })
            .unwrap();
    }
    eprintln!(
        "index filled with {SESSIONS} sessions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let store = open_store(data.path(), None).unwrap();
    let backend =
        Arc::new(Backend::new(keys, store, 900, Limits::default()).with_index(Arc::new(index)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        runtime
            .block_on(paraakh_ingest::serve(backend, listener, async {
                let _ = stopped.await;
            }))
            .unwrap();
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::new();
    let time = |path: &str| {
        let started = Instant::now();
        let res = client
            .get(format!("{url}{path}"))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let body: serde_json::Value = res.json().unwrap();
        (started.elapsed(), body)
    };
    let mut ok = true;
    for (name, path) in [
        ("first page (100)", "/v1/review/sessions"),
        (
            "pending review (100)",
            "/v1/review/sessions?review=pending_review",
        ),
        (
            "critical, ended (100)",
            "/v1/review/sessions?min_severity=critical&ended=true",
        ),
        (
            "one exam, page of 1000",
            "/v1/review/sessions?exam_id=physics&limit=1000",
        ),
        ("one session", "/v1/review/sessions/s-004242"),
    ] {
        let mut times: Vec<Duration> = (0..ROUNDS).map(|_| time(path).0).collect();
        times.sort();
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        println!("{name:<26} p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   ({ROUNDS} requests)");
        if path == "/v1/review/sessions" {
            ok &= p99 < 100.0;
        }
    }
    // Every page of the tenant, as a desk walking the whole list.
    let started = Instant::now();
    let (mut pages, mut seen, mut after) = (0, 0, None::<String>);
    loop {
        let path = match &after {
            Some(a) => format!("/v1/review/sessions?limit=100&after={a}"),
            None => "/v1/review/sessions?limit=100".to_owned(),
        };
        let (_, body) = time(&path);
        pages += 1;
        seen += body["sessions"].as_array().unwrap().len();
        match body["next_after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, SESSIONS);
    println!(
        "all {SESSIONS} sessions in {pages} pages: {:.2} s ({:.2} ms a page)",
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(pages)
    );
    let _ = stop.send(());
    server.join().unwrap();
    ok
}
