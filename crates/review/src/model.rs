//! What the report says, as data: built by [`crate::build`], rendered by
//! [`crate::html`] or printed as JSON (`paraakh review --json`).

use std::collections::BTreeMap;

use paraakh_evidence::Severity;
use paraakh_evidence::review::Verdict;
use paraakh_evidence::verify::review::DecisionEntry;
use paraakh_evidence::verify::{Report, VouchedBy};
use serde::Serialize;

use crate::layer::Layer;

/// The `format` of the JSON report.
pub const FORMAT_V1: &str = "paraakh-review/1";

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReview {
    /// Always [`FORMAT_V1`].
    pub format: &'static str,
    /// The complete verification the report is built on: the trust
    /// statement, findings, environment and the review log.
    pub verification: Report,
    /// Who and what.
    pub facts: Facts,
    /// The session on one line of time.
    pub timeline: Timeline,
    /// Every event record, in order.
    pub events: Vec<EventEntry>,
    /// Events per layer and severity.
    pub layers: Vec<LayerCount>,
    /// Time from the autosaves.
    pub time: TimeAnalysis,
    /// How each answer was typed.
    pub typing: Vec<QuestionTyping>,
}

/// Who and what the session is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// The session.
    pub session_id: String,
    /// The exam.
    pub exam_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The policy's name, as the session recorded it when monitoring started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// SHA-256 of the policy in force.
    pub policy_sha256: String,
    /// The client build.
    pub client_version: String,
    /// SHA-256 of the client program.
    pub client_build_sha256: String,
    /// The candidate's device key (fingerprint): the computer the session was bound to.
    pub device_key_fingerprint: String,
    /// First record.
    pub started_utc: String,
    /// Last record.
    pub last_record_utc: String,
    /// How the session ended, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    /// Session time from the first record to the last, seconds (clock jumps
    /// do not count; gaps between segments do).
    pub duration_s: f64,
}

/// A stretch of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// `segment`, `gap` (the client was not running) or `break` (an allowed pause).
    pub kind: &'static str,
    /// Start, seconds of session time.
    pub from_s: f64,
    /// End, seconds of session time.
    pub to_s: f64,
    /// In words.
    pub label: String,
}

/// A moment on the timeline that is not an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    /// `resume`, `clock_jump`, `submission` or `end`.
    pub kind: &'static str,
    /// Seconds of session time.
    pub at_s: f64,
    /// In words.
    pub label: String,
    /// The record.
    pub seq: u64,
}

/// The session on one line of time. Positions are session time: the boot
/// clock within a segment (a changed wall clock moves nothing), the wall
/// clock's gap between segments.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timeline {
    /// Length, seconds.
    pub duration_s: f64,
    /// Segments, gaps and breaks.
    pub spans: Vec<Span>,
    /// Resumes, clock jumps, the submission and the end.
    pub marks: Vec<Mark>,
}

/// One piece of evidence attached to an event.
#[derive(Debug, Clone, Serialize)]
pub struct Media {
    /// The blob record.
    pub seq: u64,
    /// MIME type of the plaintext.
    pub media_type: String,
    /// Why it was captured.
    pub purpose: String,
    /// Plaintext size, bytes.
    pub size: u64,
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: String,
    /// Why it cannot be shown (missing, not decryptable, altered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The decrypted bytes (embedded in the page, never in the JSON).
    #[serde(skip)]
    pub bytes: Option<Vec<u8>>,
}

/// One event record.
#[derive(Debug, Clone, Serialize)]
pub struct EventEntry {
    /// Its record.
    pub seq: u64,
    /// Its leaf hash in the evidence log (decisions name it).
    pub record_hash: String,
    /// The recorded wall-clock time.
    pub utc: String,
    /// Seconds of session time.
    pub at_s: f64,
    /// How serious.
    pub severity: Severity,
    /// The kind as recorded.
    pub kind: String,
    /// Its layer.
    pub layer: Layer,
    /// As recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// As recorded.
    pub detail: serde_json::Map<String, serde_json::Value>,
    /// Who vouches for this record.
    pub vouched_by: VouchedBy,
    /// The evidence captured for it.
    pub evidence: Vec<Media>,
    /// Every decision on it, oldest first.
    pub decisions: Vec<DecisionEntry>,
    /// The decision in force (the latest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// High or critical and without a decision in force.
    pub pending: bool,
}

/// Events of one layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerCount {
    /// The layer.
    pub layer: Layer,
    /// By severity.
    pub by_severity: BTreeMap<Severity, u64>,
    /// All of them.
    pub total: u64,
}

/// One question's autosaves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionTime {
    /// The question's id.
    pub question: String,
    /// Autosaves.
    pub saves: u64,
    /// Saves that changed the answer (the first save is not a change).
    pub changes: u64,
    /// Time before each save counted for its question, seconds.
    pub seconds: f64,
    /// First save, seconds of session time.
    pub first_s: f64,
    /// Last save, seconds of session time.
    pub last_s: f64,
}

/// A stretch without any autosave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Idle {
    /// Start, seconds of session time.
    pub from_s: f64,
    /// End, seconds of session time.
    pub to_s: f64,
}

/// How one answer was typed: its last typing profile (each counts on
/// from the one before) and the records of typing no person types.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuestionTyping {
    /// The question.
    pub question: String,
    /// The profile's record (`None`: only flags, no profile was written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_seq: Option<u64>,
    /// Characters typed key by key.
    pub keys: u64,
    /// Characters a second while typing.
    pub chars_per_second: f64,
    /// Bursts of typing.
    pub bursts: u64,
    /// The fastest burst long enough to judge, characters a second.
    pub fastest_burst_cps: f64,
    /// The least varied such burst (standard deviation over mean of its gaps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub least_spread: Option<f64>,
    /// Characters that arrived in one go (pasted, dictated, or injected).
    pub inserted_chars: u64,
    /// The longest text that arrived in one go.
    pub longest_insert: u32,
    /// Its `machine_typing` records.
    pub unusual: Vec<u64>,
}

/// Time from the autosaves.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TimeAnalysis {
    /// Per question, in the order first answered.
    pub questions: Vec<QuestionTime>,
    /// Stretches of at least `idle_threshold_s` without an autosave.
    pub idle: Vec<Idle>,
    /// The threshold, seconds.
    pub idle_threshold_s: f64,
    /// From the last autosave to the submission (or the end), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_last_answer_s: Option<f64>,
    /// Answers the submission names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted: Option<u64>,
}
