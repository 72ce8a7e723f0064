//! The reviewer's report of a 3-hour session: how long it takes to make
//! and how large the page is. Simulated sessions of three hours with 400
//! pieces of evidence of 20–120 KB (webcam pictures, screen captures,
//! sound clips: more than the `standard` preset takes in a bad session)
//! and 60 questions: one with 2,000 events, and a stress case where every
//! one of 50,000 records is an event. Verified and rendered as `paraakh
//! review` does. Prints the figures; exits 1 if the 3-hour page is over
//! 64 MB (the stress page over 128 MB) or either takes more than 60 s.
//!
//! `cargo bench -p paraakh-review --bench report_3h`

// A benchmark binary: printing is its output, a panic its failure report.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::time::Instant;

use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::{TenantSecretKey, VerifyOptions};
use paraakh_review::html::{PageOptions, render};

/// One scenario: `events` event records spread over three hours.
struct Figures {
    records: u64,
    events: usize,
    seconds: f64,
    build_s: f64,
    render_s: f64,
    page_bytes: usize,
    evidence_bytes: u64,
}

fn run(events: u64) -> Figures {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let tenant = TenantSecretKey::from_bytes("tenant.example", [3; 32]).unwrap();
    let mut opts = SimulateOptions::new(tenant.public(), 1_790_000_000_000_000_000);
    opts.events = events;
    opts.blobs = 400;
    opts.questions = 60;
    opts.receipt_lag = 0;
    // Blobs, answers, checkpoints and receipts are records too (about 560
    // and 3 % more here): three hours over all of them.
    let records = events as i64 + events as i64 * 3 / 100 + 560;
    opts.step_ns = 3 * 3600 * 1_000_000_000 / records;
    let summary = simulate(&dir, &opts).unwrap();
    let started = Instant::now();
    let review = paraakh_review::build(
        &dir,
        Some(tenant),
        VerifyOptions {
            accept_machine_attested: true,
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    let build_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let page = render(&review, &PageOptions::default());
    let render_s = started.elapsed().as_secs_f64();
    Figures {
        records: summary.records,
        events: review.events.len(),
        seconds: review.timeline.duration_s,
        build_s,
        render_s,
        page_bytes: page.len(),
        evidence_bytes: review
            .events
            .iter()
            .flat_map(|e| &e.evidence)
            .filter(|m| m.bytes.is_some())
            .map(|m| m.size)
            .sum(),
    }
}

fn main() {
    let mut ok = true;
    for (name, events, limit_mb) in [
        ("a 3-hour session", 2_000, 64.0),
        ("stress: every record an event", 50_000, 128.0),
    ] {
        let f = run(events);
        let mb = f.page_bytes as f64 / 1e6;
        println!(
            "{name}: {} records, {} events, 400 pieces of evidence ({:.1} MB), {:.0} min of session time",
            f.records,
            f.events,
            f.evidence_bytes as f64 / 1e6,
            f.seconds / 60.0
        );
        println!("  verify + decrypt + build  {:>7.2} s", f.build_s);
        println!("  render HTML               {:>7.2} s", f.render_s);
        println!(
            "  page size                 {mb:>7.1} MB ({:.1} MB of it the evidence in base64)",
            f.evidence_bytes as f64 * 4.0 / 3.0 / 1e6
        );
        ok &= mb < limit_mb && f.build_s + f.render_s < 60.0;
    }
    if !ok {
        eprintln!(
            "target missed: a 3-hour session's page under 64 MB (128 MB under stress), made in under 60 s"
        );
        std::process::exit(1);
    }
}
