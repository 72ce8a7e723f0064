//! Two histories of one session. The backend's `conflicts` (checkpoints it
//! refused because they contradict what it held) and another copy of the
//! session (`verify DIR --against OTHER`: the backend's export against the
//! candidate's copy, or the other way round) are held against this log: a
//! record that differs, or a signed root that does not match, means the
//! machine wrote two histories; a receipt elsewhere covering records this
//! copy lacks means records were removed.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::conflict::Conflict;
use crate::frame::{FileKind, FrameReader};
use crate::keys::{NoteVerifier, SIG_TYPE_ED25519, verify_ed25519};
use crate::layout;
use crate::merkle::{Hash, leaf_hash};
use crate::note::{CheckpointBody, SignedNote};
use crate::record::certificate_message;

use super::log::LogState;
use super::{FindingKind as K, Findings, VerifyError};

/// A refused checkpoint as read from `conflicts`.
#[derive(Debug)]
pub(crate) struct ConflictEntry {
    index: usize,
    conflict: Conflict,
    note: Option<SignedNote>,
    body: Option<CheckpointBody>,
}

impl ConflictEntry {
    pub(crate) fn size(&self) -> Option<u64> {
        self.body.as_ref().map(|b| b.size)
    }
}

/// Reads `conflicts` if the directory has one (a backend's export).
pub(crate) fn read_conflicts(dir: &Path, f: &mut Findings) -> Vec<ConflictEntry> {
    let path = dir.join(layout::CONFLICTS);
    let Ok(mut reader) = FrameReader::open(&path, FileKind::Conflicts) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => match Conflict::parse(&frame.payload) {
                Ok(conflict) => {
                    let note = SignedNote::parse(conflict.checkpoint.as_bytes()).ok();
                    let body = note
                        .as_ref()
                        .and_then(|n| CheckpointBody::parse(n.text()).ok());
                    out.push(ConflictEntry {
                        index: out.len(),
                        conflict,
                        note,
                        body,
                    });
                }
                Err(e) => f.add(
                    K::DamagedFile,
                    None,
                    format!(
                        "conflicts: the entry at byte {} cannot be read: {e}",
                        frame.offset
                    ),
                ),
            },
            Ok(None) => break,
            Err(e) => {
                f.add(K::DamagedFile, None, format!("conflicts: {e}"));
                break;
            }
        }
    }
    out
}

/// Checks each refused checkpoint: signed by a key this session's device
/// key certified, and contradicting this log, it is a fork.
pub(crate) fn check_conflicts(entries: &[ConflictEntry], log: &LogState, f: &mut Findings) {
    let Some(header) = &log.header else {
        return;
    };
    for e in entries {
        let at = format!(
            "conflict {} (refused by the backend at POSIX time {})",
            e.index, e.conflict.received
        );
        let (Some(note), Some(body)) = (&e.note, &e.body) else {
            f.add(
                K::DamagedFile,
                None,
                format!("{at}: its checkpoint is not a signed checkpoint"),
            );
            continue;
        };
        let key = &e.conflict.key;
        let certified = verify_ed25519(
            &header.device_key.0,
            &certificate_message(&header.origin, key.segment, &key.public_key.0),
            &key.certificate.0,
        );
        let signed = NoteVerifier::new(&header.origin, SIG_TYPE_ED25519, key.public_key.0)
            .ok()
            .is_some_and(|v| note.verify(&v).is_ok());
        if body.origin != header.origin || !certified || !signed {
            f.add(
                K::DamagedFile,
                None,
                format!("{at}: it is not a checkpoint of this session signed by a key its device key certified, so it proves nothing"),
            );
            continue;
        }
        match log.roots.get(&body.size) {
            Some(root) if *root == body.root => {}
            Some(_) => f.add(
                K::Fork,
                Some(body.size),
                format!(
                    "{at}: the machine signed, with its segment {} key, a checkpoint of size {} whose root differs from this log's: it wrote two histories ({})",
                    key.segment, body.size, e.conflict.reason
                ),
            ),
            None => f.add(
                K::Fork,
                Some(body.size.min(log.records)),
                format!(
                    "{at}: the machine signed, with its segment {} key, a checkpoint of size {} that the backend found inconsistent with the {} records it held: {}",
                    key.segment, body.size, e.conflict.held_records, e.conflict.reason
                ),
            ),
        }
    }
}

/// What comparing with another copy found.
#[derive(Debug, Clone, Serialize)]
pub struct AgainstSummary {
    /// The other copy.
    pub dir: PathBuf,
    /// Records it holds.
    pub records: u64,
    /// Records both copies hold alike, from the start.
    pub common: u64,
    /// The first record that differs, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diverges_at: Option<u64>,
    /// Records it holds beyond this copy's last (when it agrees up to there).
    pub extra_records: u64,
}

/// The other copy: its record hashes and the checkpoints and receipts it holds.
#[derive(Debug)]
pub(crate) struct OtherCopy {
    dir: PathBuf,
    pub(crate) leaves: Vec<Hash>,
    notes: Vec<(&'static str, SignedNote, CheckpointBody)>,
}

impl OtherCopy {
    /// Sizes at which this log's root is needed.
    pub(crate) fn sizes(&self) -> impl Iterator<Item = u64> + '_ {
        self.notes.iter().map(|(_, _, b)| b.size)
    }
}

/// Reads the other copy (its intact frames; its own damage is its own report's business).
pub(crate) fn read_other(dir: &Path) -> Result<OtherCopy, VerifyError> {
    if !dir.join(layout::LOG).is_file() && !dir.join(layout::RECEIPTS).is_file() {
        return Err(VerifyError::NotASession(dir.to_owned()));
    }
    // Each intact frame, read one at a time (only its hash or note is kept).
    let each = |kind: FileKind, mut keep: Box<dyn FnMut(Vec<u8>) + '_>| {
        if let Ok(mut r) = FrameReader::open(&dir.join(kind.file_name()), kind) {
            while let Ok(Some(frame)) = r.next_frame() {
                keep(frame.payload);
            }
        }
    };
    let mut leaves = Vec::new();
    each(FileKind::Log, Box::new(|r| leaves.push(leaf_hash(&r))));
    let mut notes = Vec::new();
    for (what, kind) in [
        ("checkpoint", FileKind::Checkpoints),
        ("receipt", FileKind::Receipts),
    ] {
        each(
            kind,
            Box::new(|payload| {
                if let Ok(note) = SignedNote::parse(&payload)
                    && let Ok(body) = CheckpointBody::parse(note.text())
                {
                    notes.push((what, note, body));
                }
            }),
        );
    }
    Ok(OtherCopy {
        dir: dir.to_owned(),
        leaves,
        notes,
    })
}

/// Holds this log against the other copy.
pub(crate) fn compare(
    other: &OtherCopy,
    log: &LogState,
    backend: Option<&NoteVerifier>,
    f: &mut Findings,
) -> AgainstSummary {
    let name = other.dir.display();
    let diverges_at = log.other_divergence;
    let common = diverges_at.unwrap_or_else(|| log.records.min(other.leaves.len() as u64));
    if let Some(at) = diverges_at {
        f.add(
            K::Fork,
            Some(at),
            format!("record {at} differs from record {at} of {name}: two different histories of this session were written from there on"),
        );
    }
    let origin = log.header.as_ref().map(|h| h.origin.as_str());
    let mut forked_notes = 0;
    let mut covered_beyond: Option<u64> = None;
    for (what, note, body) in &other.notes {
        if Some(body.origin.as_str()) != origin {
            continue;
        }
        match log.roots.get(&body.size) {
            Some(root)
                if *root != body.root
                    && diverges_at.is_none()
                    && forked_notes == 0
                    && signed_by_session(note, body, log) =>
            {
                forked_notes += 1;
                f.add(
                    K::Fork,
                    Some(body.size),
                    format!("the {what} of size {} in {name} has a root that differs from this log's: the two copies hold different histories", body.size),
                );
            }
            None if body.size > log.records && *what == "receipt" => {
                let cosigned = backend.is_some_and(|b| note.verify_cosignature(b).is_ok());
                if cosigned {
                    covered_beyond = Some(covered_beyond.unwrap_or(0).max(body.size));
                }
            }
            _ => {}
        }
    }
    if let Some(size) = covered_beyond
        && diverges_at.is_none()
    {
        f.add(
            K::RemovedRecords,
            Some(log.records),
            format!(
                "{name} holds a receipt of the pinned backend for {size} records; this copy holds {}: records {}–{} were cosigned and are missing here",
                log.records,
                log.records,
                size - 1
            ),
        );
    }
    AgainstSummary {
        dir: other.dir.clone(),
        records: other.leaves.len() as u64,
        common,
        diverges_at,
        extra_records: if diverges_at.is_none() {
            (other.leaves.len() as u64).saturating_sub(log.records)
        } else {
            0
        },
    }
}

/// Whether the segment key this log certified for `body`'s size signed the
/// note: anyone can write a note with another root, only the machine that
/// held the key can sign one.
fn signed_by_session(note: &SignedNote, body: &CheckpointBody, log: &LogState) -> bool {
    log.keys
        .iter()
        .rev()
        .find(|k| k.first_seq < body.size)
        .is_some_and(|k| note.verify(&k.verifier).is_ok())
}
