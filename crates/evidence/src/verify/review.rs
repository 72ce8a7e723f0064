//! The review log's checks: every decision signed by its reviewer, chained
//! to the decisions before it, naming an event record of this log by its
//! hash; and the session's outcome (pending until every high or critical
//! event has a decision — a reviewer decides, never the software).

use std::collections::BTreeMap;

use serde::Serialize;

use super::log::LogState;
use super::{FindingKind as K, Findings};
use crate::clock::format_utc;
use crate::keys::NoteVerifier;
use crate::merkle::root_of;
use crate::record::{Severity, fingerprint, to_hex};
use crate::review::{ReviewLog, Verdict};

/// Where the review of the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No high or critical event: nothing waits for a reviewer.
    NothingToReview,
    /// A high or critical event has no decision yet (or waits for a second review).
    PendingReview,
    /// Every high or critical event has a reviewer's decision.
    Reviewed,
}

/// One decision in the review log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionEntry {
    /// Its index in the review log.
    pub position: u64,
    /// The event decided on.
    pub event_seq: u64,
    /// The decision.
    pub verdict: Verdict,
    /// The reviewer's key name.
    pub reviewer: String,
    /// First 16 hex digits of SHA-256 of the reviewer's public key.
    pub reviewer_key_fingerprint: String,
    /// Whether the reviewer's key is one the verifier pinned.
    pub reviewer_pinned: bool,
    /// Whether it counts: its key is pinned (`--reviewer-key`) or the
    /// pinned backend cosigned it. Anyone with the session's files can sign
    /// a decision with a key of their own: such a one is listed, never
    /// counted, and never supersedes one that counts.
    pub counted: bool,
    /// When (the reviewer's clock), RFC 3339.
    pub time_utc: String,
    /// The reviewer's note.
    pub note: String,
    /// When the backend the verifier pinned cosigned the decision (POSIX
    /// seconds): it received it from the reviewer it authenticated. Absent
    /// when not cosigned, or no backend key is pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_cosigned_at: Option<u64>,
    /// The later decision on the same event that replaces this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<u64>,
}

/// The review log and the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewSummary {
    /// Where the review stands.
    pub outcome: Outcome,
    /// Decisions in the review log (valid and signed), in order.
    pub decisions: Vec<DecisionEntry>,
    /// Frames in the review log.
    pub size: u64,
    /// The review log's Merkle root (hex).
    pub root: String,
    /// High or critical events still waiting for a decision.
    pub pending: Vec<u64>,
    /// Events whose current decision is each verdict.
    pub current: BTreeMap<Verdict, u64>,
}

/// Checks the review log against the evidence log.
pub(crate) fn check(
    review: &ReviewLog,
    log: &LogState,
    pinned: &[NoteVerifier],
    backend: Option<&NoteVerifier>,
    f: &mut Findings,
) -> ReviewSummary {
    if let Some(why) = &review.damaged {
        f.add(
            K::BadReview,
            None,
            format!(
                "the review log is damaged after decision {}: {why}; the decisions after it cannot be read",
                review.leaves.len()
            ),
        );
    }
    for bad in &review.bad {
        f.add(
            K::BadReview,
            None,
            format!("review decision {}: {}", bad.position, bad.error),
        );
    }
    let origin = log.summary.as_ref().map(|s| s.origin.as_str());
    let mut decisions: Vec<DecisionEntry> = Vec::new();
    let mut latest: BTreeMap<u64, usize> = BTreeMap::new();
    for signed in &review.decisions {
        let d = &signed.decision;
        let at = usize::try_from(d.position).unwrap_or(usize::MAX);
        let mut problems = Vec::new();
        if review.leaves.get(at) != Some(&signed.leaf()) {
            problems.push(format!(
                "it says it is decision {} but is not at that place in the review log",
                d.position
            ));
        } else if root_of(&review.leaves[..at]) != d.previous_root {
            problems.push(
                "the decisions before it are not the ones it was signed after (removed, reordered or altered)"
                    .to_owned(),
            );
        }
        if origin.is_some_and(|o| o != d.origin) {
            problems.push(format!("it is for another session ({})", d.origin));
        }
        match log.event_leaves.get(&d.event_seq) {
            Some(leaf) if *leaf == d.event_hash => {}
            Some(_) => problems.push(format!(
                "record {} is not the event it was made for (its hash differs)",
                d.event_seq
            )),
            None => problems.push(format!(
                "record {} is not an event record of this log",
                d.event_seq
            )),
        }
        let reviewer_pinned = pinned.iter().any(|p| p == &d.reviewer);
        if !pinned.is_empty() && !reviewer_pinned {
            f.add(
                K::UntrustedReviewer,
                Some(d.event_seq),
                format!(
                    "review decision {} is signed by {} (key {}), not by a reviewer key you trust (--reviewer-key): it is not counted",
                    d.position,
                    d.reviewer.name(),
                    fingerprint(d.reviewer.public_key())
                ),
            );
            continue;
        }
        if !problems.is_empty() {
            f.add(
                K::BadReview,
                Some(d.event_seq),
                format!(
                    "review decision {} by {}: {}; it is not counted",
                    d.position,
                    d.reviewer.name(),
                    problems.join("; ")
                ),
            );
            continue;
        }
        let backend_cosigned_at = backend.and_then(|b| signed.note.verify_cosignature(b).ok());
        let counted = reviewer_pinned || backend_cosigned_at.is_some();
        if counted {
            if let Some(&before) = latest.get(&d.event_seq) {
                decisions[before].superseded_by = Some(d.position);
            }
            latest.insert(d.event_seq, decisions.len());
        }
        decisions.push(DecisionEntry {
            position: d.position,
            event_seq: d.event_seq,
            verdict: d.verdict,
            reviewer: d.reviewer.name().to_owned(),
            reviewer_key_fingerprint: fingerprint(d.reviewer.public_key()),
            reviewer_pinned,
            counted,
            time_utc: format_utc(
                i64::try_from(d.time)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(1_000_000_000),
            ),
            note: d.note.clone(),
            backend_cosigned_at,
            superseded_by: None,
        });
    }
    let mut current: BTreeMap<Verdict, u64> = BTreeMap::new();
    for &i in latest.values() {
        *current.entry(decisions[i].verdict).or_default() += 1;
    }
    let serious: Vec<u64> = log
        .events
        .iter()
        .filter(|(_, sev)| *sev >= Severity::High)
        .map(|(seq, _)| *seq)
        .collect();
    let pending: Vec<u64> = serious
        .iter()
        .copied()
        .filter(|seq| {
            !latest
                .get(seq)
                .is_some_and(|&i| decisions[i].verdict.decides())
        })
        .collect();
    let outcome = if serious.is_empty() {
        Outcome::NothingToReview
    } else if pending.is_empty() {
        Outcome::Reviewed
    } else {
        Outcome::PendingReview
    };
    ReviewSummary {
        outcome,
        decisions,
        size: review.leaves.len() as u64,
        root: to_hex(&root_of(&review.leaves)),
        pending,
        current,
    }
}
