//! The review log: reviewers' decisions on the session's events, kept
//! beside the evidence in `SESSION/review`.
//!
//! A decision is a C2SP signed note, signed by the reviewer's own Ed25519
//! key, naming the event by its position and its record's leaf hash (so it
//! cannot be moved to another event or another copy of the log) and the
//! review log's Merkle root before it (so a decision cannot be removed,
//! reordered or edited without breaking every later one). The leaf hash of
//! a decision covers its text only: a backend may add its cosignature later
//! without changing the chain. A later decision on the same event
//! supersedes an earlier one; nothing is ever edited in place.
//!
//! ```text
//! paraakh review decision v1
//! origin paraakh.app/evidence/acme/s-1
//! position 3
//! previous <root of the review log's first 3 decisions, hex>
//! event 42 <leaf hash of record 42, hex>
//! decision confirmed
//! reviewer <the reviewer's verifier key, name+id+key>
//! time 1796630400
//! note "The second person is visible for 40 s."
//!
//! — alice@acme.example <signature>
//! ```

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::frame::{FileKind, FrameReader, encode_frame, parse_all};
use crate::keys::{NoteSigner, NoteVerifier, SIG_TYPE_ED25519};
use crate::layout;
use crate::merkle::{Hash, leaf_hash, root_of};
use crate::note::{NoteError, SignedNote};
use crate::record::{Body, HexHash, Record, Severity, to_hex};

/// The first line of every decision.
pub const DECISION_V1: &str = "paraakh review decision v1";
/// Longest note a reviewer may write, in bytes (the whole decision must fit a note).
pub const MAX_NOTE_BYTES: usize = 4000;

/// What a reviewer decided about an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The event shows what it says: a violation a person confirmed.
    Confirmed,
    /// Not a violation (a false alarm, an allowed situation).
    Dismissed,
    /// Another reviewer should look: still pending.
    SecondReview,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 3] = [
        Verdict::Confirmed,
        Verdict::Dismissed,
        Verdict::SecondReview,
    ];

    /// The name in the review log (`confirmed`, `dismissed`, `second_review`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Dismissed => "dismissed",
            Verdict::SecondReview => "second_review",
        }
    }

    /// Parses a name; `second-review` is accepted for the command line.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "confirmed" => Some(Verdict::Confirmed),
            "dismissed" => Some(Verdict::Dismissed),
            "second_review" | "second-review" => Some(Verdict::SecondReview),
            _ => None,
        }
    }

    /// True when the event is decided (a second review leaves it pending).
    pub fn decides(self) -> bool {
        !matches!(self, Verdict::SecondReview)
    }
}

/// One decision, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The session's checkpoint origin.
    pub origin: String,
    /// Its index in the review log.
    pub position: u64,
    /// The review log's Merkle root over the decisions before it.
    pub previous_root: Hash,
    /// The event record decided on.
    pub event_seq: u64,
    /// That record's leaf hash in the evidence log.
    pub event_hash: Hash,
    /// The decision.
    pub verdict: Verdict,
    /// The reviewer's key (it signs the decision).
    pub reviewer: NoteVerifier,
    /// When (POSIX seconds, the reviewer's clock).
    pub time: u64,
    /// Why, in the reviewer's words (may be empty).
    pub note: String,
}

/// Why a review log or a decision was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// A decision's text is not in this format.
    #[error("malformed review decision: {0}")]
    Malformed(String),
    /// A decision's signature is missing or wrong.
    #[error("the decision's signature does not verify: {0}")]
    Signature(#[from] NoteError),
    /// The review log cannot be read or written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The review log is damaged: nothing is appended to it.
    #[error(
        "the review log {0} is damaged ({1}): nothing was added; run `paraakh verify` on the session to see what is wrong"
    )]
    Damaged(PathBuf, String),
    /// The event does not exist or is not an event record.
    #[error("{0}")]
    NoSuchEvent(String),
    /// The reviewer's note is too long or holds control characters.
    #[error("{0}")]
    BadNote(String),
    /// Another process is adding a decision.
    #[error("another decision is being added to {0}: try again")]
    Locked(PathBuf),
}

fn malformed(why: impl Into<String>) -> ReviewError {
    ReviewError::Malformed(why.into())
}

impl Decision {
    /// The note text (what the reviewer signs).
    pub fn to_text(&self) -> String {
        // A JSON string keeps any note on one line with nothing ambiguous.
        let note = serde_json::to_string(&self.note).unwrap_or_else(|_| "\"\"".into());
        format!(
            "{DECISION_V1}\norigin {}\nposition {}\nprevious {}\nevent {} {}\ndecision {}\nreviewer {}\ntime {}\nnote {note}\n",
            self.origin,
            self.position,
            to_hex(&self.previous_root),
            self.event_seq,
            to_hex(&self.event_hash),
            self.verdict.as_str(),
            self.reviewer.encode(),
            self.time,
        )
    }

    /// Parses a note text strictly (every line, in order, nothing else).
    pub fn parse(text: &str) -> Result<Self, ReviewError> {
        let mut lines = text
            .strip_suffix('\n')
            .ok_or_else(|| malformed("the text must end with a newline"))?
            .split('\n');
        let first = lines.next().unwrap_or_default();
        if first != DECISION_V1 {
            return Err(malformed(format!("not a review decision: {first:?}")));
        }
        let mut field = |name: &str| -> Result<&str, ReviewError> {
            let line = lines
                .next()
                .ok_or_else(|| malformed(format!("the {name} line is missing")))?;
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .ok_or_else(|| malformed(format!("expected the {name} line, found {line:?}")))
        };
        let number = |s: &str, what: &str| -> Result<u64, ReviewError> {
            if s.is_empty() || (s.len() > 1 && s.starts_with('0')) {
                return Err(malformed(format!("{what} is not a number")));
            }
            s.parse()
                .map_err(|_| malformed(format!("{what} is not a number")))
        };
        let hash = |s: &str, what: &str| -> Result<Hash, ReviewError> {
            HexHash::parse(s)
                .map(|h| h.0)
                .ok_or_else(|| malformed(format!("{what} is not 64 lowercase hex digits")))
        };
        let origin = field("origin")?.to_owned();
        let position = number(field("position")?, "the position")?;
        let previous_root = hash(field("previous")?, "the previous root")?;
        let (seq, event_hash) = field("event")?
            .split_once(' ')
            .ok_or_else(|| malformed("the event line needs a position and a hash"))?;
        let event_seq = number(seq, "the event's position")?;
        let event_hash = hash(event_hash, "the event's hash")?;
        let verdict_name = field("decision")?;
        let verdict = Verdict::parse(verdict_name)
            .filter(|v| v.as_str() == verdict_name)
            .ok_or_else(|| malformed(format!("unknown decision {verdict_name:?}")))?;
        let reviewer = NoteVerifier::parse(field("reviewer")?)
            .map_err(|e| malformed(format!("the reviewer key: {e}")))?;
        if reviewer.sig_type() != SIG_TYPE_ED25519 {
            return Err(malformed("the reviewer key is not an Ed25519 signing key"));
        }
        let time = number(field("time")?, "the time")?;
        let note: String = serde_json::from_str(field("note")?)
            .map_err(|_| malformed("the note is not a JSON string"))?;
        check_note(&note).map_err(|e| malformed(e.to_string()))?;
        let decision = Decision {
            origin,
            position,
            previous_root,
            event_seq,
            event_hash,
            verdict,
            reviewer,
            time,
            note,
        };
        if decision.to_text() != text {
            return Err(malformed("the text is not in its one canonical form"));
        }
        Ok(decision)
    }
}

/// Checks a reviewer's note: at most [`MAX_NOTE_BYTES`], no control characters but newlines and tabs.
pub fn check_note(note: &str) -> Result<(), ReviewError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(ReviewError::BadNote(format!(
            "the note is {} bytes; at most {MAX_NOTE_BYTES} are kept: shorten it",
            note.len()
        )));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ReviewError::BadNote(
            "the note holds control characters: write it as plain text".into(),
        ));
    }
    Ok(())
}

/// A decision with its signed note, as read from the review log.
#[derive(Debug, Clone)]
pub struct SignedDecision {
    /// What was decided.
    pub decision: Decision,
    /// The signed note (the reviewer's signature, and any cosignatures).
    pub note: SignedNote,
}

impl SignedDecision {
    /// Parses a frame of the review log and checks the reviewer's signature.
    pub fn parse(bytes: &[u8]) -> Result<Self, ReviewError> {
        let note = SignedNote::parse(bytes)?;
        let decision = Decision::parse(note.text())?;
        note.verify(&decision.reviewer)?;
        Ok(Self { decision, note })
    }

    /// Its leaf in the review log's Merkle tree: the text, not the signatures.
    pub fn leaf(&self) -> Hash {
        leaf_hash(self.note.text().as_bytes())
    }
}

/// A frame of the review log that could not be read as a decision.
#[derive(Debug)]
pub struct BadFrame {
    /// Its index.
    pub position: u64,
    /// Why.
    pub error: ReviewError,
}

/// The review log as read.
#[derive(Debug, Default)]
pub struct ReviewLog {
    /// Every decision that parsed and whose signature verifies, in order.
    pub decisions: Vec<SignedDecision>,
    /// Every leaf, including those of frames that did not parse (their raw bytes' leaf).
    pub leaves: Vec<Hash>,
    /// Frames that are not valid decisions.
    pub bad: Vec<BadFrame>,
    /// Damage to the framing: the frames after it cannot be read.
    pub damaged: Option<String>,
}

/// Reads `SESSION/review` (an empty log when there is none).
pub fn read(dir: &Path) -> Result<ReviewLog, ReviewError> {
    let path = dir.join(layout::REVIEW);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ReviewLog::default()),
        Err(source) => {
            return Err(ReviewError::Io {
                what: "cannot read the review log",
                path,
                source,
            });
        }
    };
    Ok(parse_log(&bytes))
}

/// Parses a review log's bytes.
pub fn parse_log(bytes: &[u8]) -> ReviewLog {
    let (frames, error) = parse_all(bytes, FileKind::Review);
    let mut log = ReviewLog {
        damaged: error.map(|e| e.to_string()),
        ..ReviewLog::default()
    };
    for (position, frame) in (0u64..).zip(frames) {
        match SignedDecision::parse(&frame.payload) {
            Ok(d) => {
                log.leaves.push(d.leaf());
                log.decisions.push(d);
            }
            Err(error) => {
                log.leaves.push(leaf_hash(&frame.payload));
                log.bad.push(BadFrame { position, error });
            }
        }
    }
    log
}

/// What a decision needs from the evidence log.
#[derive(Debug, Clone)]
pub struct EventRef {
    /// The session's checkpoint origin (record 0).
    pub origin: String,
    /// The event record's leaf hash.
    pub leaf: Hash,
    /// Its severity.
    pub severity: Severity,
}

/// Finds the event record `seq` in the evidence log, and the session's origin.
pub fn find_event(dir: &Path, seq: u64) -> Result<EventRef, ReviewError> {
    let path = dir.join(layout::LOG);
    let mut reader = FrameReader::open(&path, FileKind::Log).map_err(|source| ReviewError::Io {
        what: "cannot read the evidence log",
        path: path.clone(),
        source,
    })?;
    let unreadable = |e: String| {
        ReviewError::NoSuchEvent(format!(
            "the evidence log cannot be read to record {seq}: {e}; run `paraakh verify` on the session"
        ))
    };
    let mut origin = None;
    let mut index = 0u64;
    loop {
        let frame = reader
            .next_frame()
            .map_err(|e| unreadable(e.to_string()))?
            .ok_or_else(|| {
                ReviewError::NoSuchEvent(format!(
                    "the session has {index} records: there is no record {seq}"
                ))
            })?;
        if index == 0 || index == seq {
            let record = Record::parse(&frame.payload)
                .map_err(|e| unreadable(format!("record {index} is not a valid record: {e}")))?;
            if let Body::Header(h) = &record.body {
                origin = Some(h.origin.clone());
            }
            if index == seq {
                let origin = origin.ok_or_else(|| unreadable("record 0 is not a header".into()))?;
                return event_ref(origin, seq, &frame.payload);
            }
        }
        index += 1;
    }
}

/// The event record `seq` of the log with `origin`, from its bytes.
pub fn event_ref(origin: String, seq: u64, record: &[u8]) -> Result<EventRef, ReviewError> {
    let parsed = Record::parse(record).map_err(|e| {
        ReviewError::NoSuchEvent(format!("record {seq} is not a valid record: {e}"))
    })?;
    if parsed.seq != seq {
        return Err(ReviewError::NoSuchEvent(format!(
            "the record at {seq} says it is record {}",
            parsed.seq
        )));
    }
    if !matches!(parsed.body, Body::Event(_)) {
        return Err(ReviewError::NoSuchEvent(format!(
            "record {seq} is a {} record, not an event: decide on the event it belongs to",
            parsed.body.type_name()
        )));
    }
    Ok(EventRef {
        origin,
        leaf: leaf_hash(record),
        severity: parsed.severity,
    })
}

/// Makes the decision that follows the review log with `leaves`, signed
/// by `reviewer`.
pub fn sign(
    leaves: &[Hash],
    event: &EventRef,
    reviewer: &NoteSigner,
    new: &NewDecision<'_>,
) -> Result<SignedDecision, ReviewError> {
    check_note(new.note)?;
    if reviewer.sig_type() != SIG_TYPE_ED25519 {
        return Err(ReviewError::Malformed(
            "a reviewer's key must be an Ed25519 signing key (type 0x01)".into(),
        ));
    }
    let decision = Decision {
        origin: event.origin.clone(),
        position: leaves.len() as u64,
        previous_root: root_of(leaves),
        event_seq: new.event_seq,
        event_hash: event.leaf,
        verdict: new.verdict,
        reviewer: reviewer.verifier(),
        time: new.time,
        note: new.note.to_owned(),
    };
    let note = SignedNote::sign(&decision.to_text(), &[reviewer])?;
    if note.encode().len() > FileKind::Review.max_payload() as usize {
        return Err(ReviewError::BadNote(
            "the decision is too large for the review log: shorten the note".into(),
        ));
    }
    Ok(SignedDecision { decision, note })
}

/// What to decide.
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    /// The event record.
    pub event_seq: u64,
    /// The decision.
    pub verdict: Verdict,
    /// Why.
    pub note: &'a str,
    /// When (POSIX seconds).
    pub time: u64,
}

/// Appends a decision signed by `reviewer` to the session's review log and
/// makes it durable. Refused on a damaged review log (nothing is lost:
/// the log is left as it is).
pub fn append(
    dir: &Path,
    reviewer: &NoteSigner,
    new: &NewDecision<'_>,
) -> Result<SignedDecision, ReviewError> {
    check_note(new.note)?;
    let event = find_event(dir, new.event_seq)?;
    let path = dir.join(layout::REVIEW);
    let io = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| ReviewError::Io { what, path, source }
    };
    let existed = path.exists();
    let mut file = crate::keys::private_options()
        .create(true)
        .truncate(false)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(io("cannot open the review log", &path))?;
    if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        return Err(ReviewError::Locked(path));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(io("cannot read the review log", &path))?;
    // A file left empty by a crash right after its creation is a new log.
    let log = if bytes.is_empty() {
        file.write_all(FileKind::Review.magic())
            .map_err(io("cannot write the review log", &path))?;
        ReviewLog::default()
    } else {
        parse_log(&bytes)
    };
    if let Some(why) = &log.damaged {
        return Err(ReviewError::Damaged(path, why.clone()));
    }
    if let Some(bad) = log.bad.first() {
        return Err(ReviewError::Damaged(
            path,
            format!("decision {}: {}", bad.position, bad.error),
        ));
    }
    let decided = sign(&log.leaves, &event, reviewer, new)?;
    let frame = encode_frame(decided.note.encode().as_bytes());
    file.write_all(&frame)
        .and_then(|()| file.sync_all())
        .map_err(io("cannot write the review log", &path))?;
    if !existed {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io("cannot sync the directory", dir))?;
    }
    Ok(decided)
}

/// The review log file made of stored decisions (each a signed note), in order.
pub fn file_of(notes: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let mut out = FileKind::Review.magic().to_vec();
    for n in notes {
        out.extend_from_slice(&encode_frame(n.as_ref()));
    }
    out
}

#[cfg(test)]
mod tests;
