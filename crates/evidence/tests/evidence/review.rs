//! The review log: what a reviewer's decision proves, what a forger can
//! and cannot do with it, and the outcome that waits for a person.

use std::path::Path;

use paraakh_evidence::frame::{FileKind, encode_frame, parse_all};
use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_evidence::layout;
use paraakh_evidence::review::{self, NewDecision, ReviewError, Verdict};
use paraakh_evidence::verify::review::Outcome;
use paraakh_evidence::{FindingKind, Record, Severity, Status, verify};

use crate::support::{copy_dir, opts_with, small_session};

fn reviewer(name: &str, seed: u8) -> NoteSigner {
    NoteSigner::from_seed(name, SIG_TYPE_ED25519, &[seed; 32]).unwrap()
}

/// Every event record of the log with its severity.
fn events(dir: &Path) -> Vec<(u64, Severity)> {
    let bytes = std::fs::read(dir.join(layout::LOG)).unwrap();
    let (frames, _) = parse_all(&bytes, FileKind::Log);
    frames
        .iter()
        .map(|f| Record::parse(&f.payload).unwrap())
        .filter(|r| r.body.type_name() == "event")
        .map(|r| (r.seq, r.severity))
        .collect()
}

fn decide(dir: &Path, who: &NoteSigner, seq: u64, verdict: Verdict, note: &str) {
    review::append(
        dir,
        who,
        &NewDecision {
            event_seq: seq,
            verdict,
            note,
            time: 1_790_000_600,
        },
    )
    .unwrap();
}

fn kinds(report: &paraakh_evidence::Report) -> Vec<FindingKind> {
    report.findings.iter().map(|f| f.kind).collect()
}

/// A session with at least one high or critical event (the simulation's seeds vary).
fn session_with_serious_events(
    dir: &Path,
) -> (
    paraakh_evidence::TenantSecretKey,
    paraakh_evidence::simulate::SimulateSummary,
    Vec<u64>,
) {
    for seed in 1..200 {
        let _ = std::fs::remove_dir_all(dir);
        let (tenant, summary) = small_session(dir, seed);
        let serious: Vec<u64> = events(dir)
            .into_iter()
            .filter(|(_, s)| *s >= Severity::High)
            .map(|(seq, _)| seq)
            .collect();
        if serious.len() >= 2 {
            return (tenant, summary, serious);
        }
    }
    panic!("no seed gives two serious events");
}

#[test]
fn the_outcome_waits_for_a_decision_on_every_serious_event() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (tenant, summary, serious) = session_with_serious_events(&dir);
    let alice = reviewer("alice@acme.example", 1);
    let bob = reviewer("bob@acme.example", 2);
    let mut opts = opts_with(&tenant, &summary);
    opts.reviewer_keys = vec![alice.verifier(), bob.verifier()];
    let report = verify(&dir, &opts).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert_eq!(report.review.outcome, Outcome::PendingReview);
    assert_eq!(report.review.pending, serious);

    decide(
        &dir,
        &alice,
        serious[0],
        Verdict::Confirmed,
        "clearly two people",
    );
    // A second review leaves the event pending: the software never closes it.
    decide(&dir, &alice, serious[1], Verdict::SecondReview, "not sure");
    let report = verify(&dir, &opts).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert_eq!(report.review.outcome, Outcome::PendingReview);
    assert_eq!(report.review.pending, serious[1..]);
    for &seq in &serious[2..] {
        decide(&dir, &bob, seq, Verdict::Dismissed, "");
    }
    // Bob's second look supersedes Alice's request; nothing is edited.
    decide(
        &dir,
        &bob,
        serious[1],
        Verdict::Dismissed,
        "a poster on the wall",
    );
    let report = verify(&dir, &opts).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert_eq!(report.review.outcome, Outcome::Reviewed);
    assert!(report.review.pending.is_empty());
    let d = &report.review.decisions;
    assert_eq!(d.len(), serious.len() + 1);
    assert_eq!(d[1].verdict, Verdict::SecondReview);
    assert_eq!(d[1].superseded_by, Some(d.last().unwrap().position));
    assert_eq!(d.last().unwrap().reviewer, "bob@acme.example");
    assert_eq!(d.last().unwrap().note, "a poster on the wall");
    assert_eq!(report.review.current[&Verdict::Confirmed], 1);
    assert_eq!(
        report.review.current[&Verdict::Dismissed],
        serious.len() as u64 - 1
    );
}

#[test]
fn a_session_without_serious_events_needs_no_review() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 1..200 {
        let dir = tmp.path().join(format!("s{seed}"));
        let (tenant, summary) = small_session(&dir, seed);
        if events(&dir).iter().all(|(_, s)| *s < Severity::High) {
            let report = verify(&dir, &opts_with(&tenant, &summary)).unwrap();
            assert_eq!(report.review.outcome, Outcome::NothingToReview);
            return;
        }
    }
    panic!("no seed without serious events");
}

#[test]
fn only_event_records_can_be_decided_and_a_damaged_review_log_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (_, _, serious) = session_with_serious_events(&dir);
    let alice = reviewer("alice@acme.example", 1);
    let new = |seq| NewDecision {
        event_seq: seq,
        verdict: Verdict::Confirmed,
        note: "",
        time: 1,
    };
    // Record 0 is the header; a record past the end does not exist.
    let e = review::append(&dir, &alice, &new(0)).unwrap_err();
    assert!(matches!(e, ReviewError::NoSuchEvent(_)), "{e}");
    assert!(e.to_string().contains("header record, not an event"), "{e}");
    let e = review::append(&dir, &alice, &new(1_000_000)).unwrap_err();
    assert!(e.to_string().contains("there is no record 1000000"), "{e}");
    assert!(!dir.join(layout::REVIEW).exists());
    // A note with control characters is refused before anything is written.
    let bad = NewDecision {
        note: "\u{1b}[31m",
        ..new(serious[0])
    };
    assert!(matches!(
        review::append(&dir, &alice, &bad),
        Err(ReviewError::BadNote(_))
    ));
    decide(&dir, &alice, serious[0], Verdict::Confirmed, "first");
    // Damage: a torn frame at the end. The log is kept as it is.
    let path = dir.join(layout::REVIEW);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[0, 0, 1]);
    std::fs::write(&path, &bytes).unwrap();
    let e = review::append(&dir, &alice, &new(serious[1])).unwrap_err();
    assert!(matches!(e, ReviewError::Damaged(..)), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// What someone who wants to change the review's result could try.
#[test]
fn a_decision_cannot_be_removed_altered_moved_or_forged() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let (tenant, summary, serious) = session_with_serious_events(&base);
    let opts = opts_with(&tenant, &summary);
    let alice = reviewer("alice@acme.example", 1);
    decide(
        &base,
        &alice,
        serious[0],
        Verdict::Confirmed,
        "confirmed once",
    );
    decide(
        &base,
        &alice,
        serious[1],
        Verdict::Confirmed,
        "confirmed twice",
    );
    let frames = || {
        let bytes = std::fs::read(base.join(layout::REVIEW)).unwrap();
        parse_all(&bytes, FileKind::Review).0
    };
    let write = |dir: &Path, payloads: &[Vec<u8>]| {
        let mut out = FileKind::Review.magic().to_vec();
        for p in payloads {
            out.extend_from_slice(&encode_frame(p));
        }
        std::fs::write(dir.join(layout::REVIEW), out).unwrap();
    };
    let copy = |name: &str| {
        let dir = tmp.path().join(name);
        copy_dir(&base, &dir);
        dir
    };
    let payloads: Vec<Vec<u8>> = frames().into_iter().map(|f| f.payload).collect();

    // Removing the first decision: the second was signed after it.
    let removed = copy("removed");
    write(&removed, &payloads[1..]);
    let report = verify(&removed, &opts).unwrap();
    assert_eq!(report.status, Status::Invalid);
    assert!(
        kinds(&report).contains(&FindingKind::BadReview),
        "{:#?}",
        report.findings
    );
    assert!(report.review.decisions.is_empty());

    // Changing the verdict without the reviewer's key.
    let altered = copy("altered");
    let text = String::from_utf8(payloads[1].clone()).unwrap();
    write(
        &altered,
        &[
            payloads[0].clone(),
            text.replace("decision confirmed", "decision dismissed")
                .into_bytes(),
        ],
    );
    let report = verify(&altered, &opts).unwrap();
    assert_eq!(report.status, Status::Invalid);
    assert_eq!(report.review.decisions.len(), 1);

    // A decision re-signed with another key under the same name, and the
    // verifier pins Alice's real key: it is not counted.
    let mallory = reviewer("alice@acme.example", 66);
    let forged = copy("forged");
    decide(
        &forged,
        &mallory,
        serious[0],
        Verdict::Dismissed,
        "nothing here",
    );
    let mut pinned = opts_with(&tenant, &summary);
    pinned.reviewer_keys = vec![alice.verifier()];
    let report = verify(&forged, &pinned).unwrap();
    assert_eq!(report.status, Status::Invalid);
    assert!(kinds(&report).contains(&FindingKind::UntrustedReviewer));
    let current: Vec<_> = report
        .review
        .decisions
        .iter()
        .filter(|d| d.superseded_by.is_none() && d.event_seq == serious[0])
        .collect();
    assert_eq!(current[0].verdict, Verdict::Confirmed);

    // Decisions moved to another session's log (its own id and records).
    let other = tmp.path().join("other");
    let (other_tenant, other_summary) = small_session(&other, 4242);
    std::fs::copy(base.join(layout::REVIEW), other.join(layout::REVIEW)).unwrap();
    let report = verify(&other, &opts_with(&other_tenant, &other_summary)).unwrap();
    assert!(
        kinds(&report).contains(&FindingKind::BadReview),
        "{:#?}",
        report.findings
    );
    assert!(report.review.decisions.is_empty());
}

/// What the candidate holding the session's files would try: dismiss
/// every serious event with a key of their own. Without a trusted key or
/// the backend's cosignature the decisions are listed, never counted.
#[test]
fn decisions_signed_with_an_untrusted_key_are_listed_but_never_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (tenant, summary, serious) = session_with_serious_events(&dir);
    let alice = reviewer("alice@acme.example", 1);
    decide(&dir, &alice, serious[0], Verdict::Confirmed, "two people");
    let candidate = reviewer("alice@acme.example", 99);
    for &seq in &serious {
        decide(&dir, &candidate, seq, Verdict::Dismissed, "all fine");
    }
    // Nothing pinned: nothing counts, the review stays pending.
    let report = verify(&dir, &opts_with(&tenant, &summary)).unwrap();
    assert_eq!(report.review.outcome, Outcome::PendingReview);
    assert_eq!(report.review.pending, serious);
    assert!(report.review.decisions.iter().all(|d| !d.counted));
    // Alice's key pinned: hers counts, the candidate's are findings.
    let mut opts = opts_with(&tenant, &summary);
    opts.reviewer_keys = vec![alice.verifier()];
    let report = verify(&dir, &opts).unwrap();
    assert_eq!(report.review.pending, serious[1..]);
    assert!(kinds(&report).contains(&FindingKind::UntrustedReviewer));
    let counted: Vec<_> = report
        .review
        .decisions
        .iter()
        .filter(|d| d.counted)
        .collect();
    assert_eq!(counted.len(), 1);
    assert_eq!(
        (counted[0].verdict, counted[0].superseded_by),
        (Verdict::Confirmed, None)
    );
}

/// The candidate wrongly flagged asks: was my event decided on, by whom,
/// and was a dismissal kept? The decision survives any copy intact.
#[test]
fn a_dismissal_is_in_the_report_with_who_made_it_and_when() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (tenant, summary, serious) = session_with_serious_events(&dir);
    let alice = reviewer("alice@acme.example", 1);
    decide(
        &dir,
        &alice,
        serious[0],
        Verdict::Dismissed,
        "the candidate was reading aloud, allowed",
    );
    let copied = tmp.path().join("copy");
    copy_dir(&dir, &copied);
    let mut opts = opts_with(&tenant, &summary);
    opts.reviewer_keys = vec![alice.verifier()];
    let report = verify(&copied, &opts).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    let d = &report.review.decisions[0];
    assert_eq!((d.event_seq, d.verdict), (serious[0], Verdict::Dismissed));
    assert!(d.reviewer_pinned);
    assert_eq!(d.time_utc, "2026-09-21T14:23:20.000Z");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["review"]["decisions"][0]["verdict"], "dismissed");
    assert_eq!(json["review"]["outcome"], "pending_review");
}
