//! Checks of `checkpoints` and `receipts` against the log.

use std::collections::HashMap;
use std::path::Path;

use crate::frame::{FileKind, FrameError, FrameReader};
use crate::keys::{NoteVerifier, SIG_TYPE_COSIGNATURE_V1};
use crate::merkle::{Hash, sha256};
use crate::note::{CheckpointBody, SignedNote};

use super::log::LogState;
use super::{CheckpointSummary, FindingKind as K, Findings, ReceiptSummary, VerifyOptions};

/// A cosignature more than this far in the future is refused.
pub(crate) const MAX_FUTURE_SECS: u64 = 24 * 3600;

/// The verifier's clock, POSIX seconds.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One note read from `checkpoints` or `receipts`.
#[derive(Debug)]
pub(crate) struct NoteEntry {
    pub(crate) offset: u64,
    pub(crate) note: SignedNote,
    pub(crate) body: Option<CheckpointBody>,
    pub(crate) sha256: Hash,
}

fn label(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Checkpoints => "checkpoint",
        FileKind::Receipts => "receipt",
        FileKind::Log => "record",
        FileKind::Conflicts => "conflict",
        FileKind::Review => "decision",
    }
}

/// Reads every note of a framed notes file, reporting damage.
pub(crate) fn read_notes(dir: &Path, kind: FileKind, f: &mut Findings) -> Vec<NoteEntry> {
    let path = dir.join(kind.file_name());
    let bad = if kind == FileKind::Checkpoints {
        K::BadCheckpoint
    } else {
        K::BadReceipt
    };
    let Ok(mut reader) = FrameReader::open(&path, kind) else {
        return Vec::new();
    };
    let file_len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut out = Vec::new();
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => {
                let at_tail = e.is_crash_tail(&path, kind, file_len);
                let kind_found = if at_tail {
                    K::TornTail
                } else if matches!(e, FrameError::BadMagic { .. }) {
                    K::DamagedFile
                } else {
                    bad
                };
                f.add(kind_found, None, format!("{}: {e}", kind.file_name()));
                break;
            }
        };
        match SignedNote::parse(&frame.payload) {
            Ok(note) => {
                let body = match CheckpointBody::parse(note.text()) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        f.add(
                            bad,
                            None,
                            format!(
                                "the {} at byte {} of {}: {e}",
                                label(kind),
                                frame.offset,
                                kind.file_name()
                            ),
                        );
                        None
                    }
                };
                out.push(NoteEntry {
                    offset: frame.offset,
                    sha256: sha256(&frame.payload),
                    note,
                    body,
                });
            }
            Err(e) => f.add(
                bad,
                None,
                format!(
                    "the {} at byte {} of {}: {e}",
                    label(kind),
                    frame.offset,
                    kind.file_name()
                ),
            ),
        }
    }
    out
}

/// Checks every checkpoint: order, origin, coverage, root, signature, and its reference in the log.
pub(crate) fn check_checkpoints(
    entries: &[NoteEntry],
    log: &LogState,
    f: &mut Findings,
) -> CheckpointSummary {
    let mut summary = CheckpointSummary::default();
    let origin = log.header.as_ref().map(|h| h.origin.as_str());
    let mut prev = 0u64;
    let mut beyond = Vec::new();
    let mut valid: HashMap<u64, Hash> = HashMap::new();
    for e in entries {
        let Some(body) = &e.body else { continue };
        let at = format!(
            "the checkpoint of size {} (byte {} of checkpoints)",
            body.size, e.offset
        );
        let mut ok = true;
        if Some(body.origin.as_str()) != origin {
            f.add(
                K::BadCheckpoint,
                None,
                format!("{at} names another log ({:?})", body.origin),
            );
            ok = false;
        }
        if body.size <= prev {
            f.add(
                K::BadCheckpoint,
                None,
                format!("{at} is out of order: checkpoints were duplicated, reordered or inserted"),
            );
            ok = false;
        }
        prev = prev.max(body.size);
        if body.size > log.records {
            beyond.push(body.size);
            continue;
        }
        if log.roots.get(&body.size) != Some(&body.root) {
            f.add(
                K::RootMismatch,
                None,
                format!("{at} does not match the log: signed records were altered"),
            );
            ok = false;
        }
        match log.keys.iter().rev().find(|k| k.first_seq < body.size) {
            Some(key) => {
                if let Err(err) = e.note.verify(&key.verifier) {
                    f.add(K::BadCheckpoint, None, format!("{at}: {err}"));
                    ok = false;
                }
                if e.note.signatures().len() != 1 {
                    f.add(
                        K::BadCheckpoint,
                        None,
                        format!("{at} carries signatures other than the session key's"),
                    );
                    ok = false;
                }
            }
            None => {
                f.add(
                    K::BadCheckpoint,
                    None,
                    format!("{at} has no certified session key to check it with"),
                );
                ok = false;
            }
        }
        if ok {
            summary.count += 1;
            summary.signed_size = summary.signed_size.max(body.size);
            valid.insert(body.size, e.sha256);
        }
    }
    report_beyond(f, "checkpoint", &beyond, log.records);
    // Lookups by size and hash: a crafted session with many notes and
    // references costs linear time, not their product.
    let stored: std::collections::HashSet<(u64, Hash)> = entries
        .iter()
        .filter_map(|e| e.body.as_ref().map(|b| (b.size, e.sha256)))
        .collect();
    let mut by_size: Vec<(u64, Hash)> = stored.iter().copied().collect();
    by_size.sort_unstable();
    let mut referenced = std::collections::HashSet::new();
    for (seq, r) in &log.checkpoint_refs {
        if stored.contains(&(r.size, r.note_sha256.0)) {
            referenced.insert(r.size);
        } else {
            f.add(
                K::MissingCheckpoint,
                Some(*seq),
                format!(
                    "record {seq} references a checkpoint of size {} that is not in checkpoints",
                    r.size
                ),
            );
        }
    }
    for size in valid.keys() {
        if *size < log.records && !referenced.contains(size) {
            f.add(
                K::UnreferencedCheckpoint,
                None,
                format!("the checkpoint of size {size} is not referenced by the log: it was added afterwards"),
            );
        }
    }
    for (seq, named) in &log.segment_predecessors {
        let Some(named) = named else { continue };
        let at_or_before = by_size.partition_point(|(size, _)| size <= seq);
        let last_before = at_or_before.checked_sub(1).map(|i| by_size[i]);
        if last_before != Some((named.size, named.note_sha256.0)) {
            f.add(
                K::BadSegment,
                Some(*seq),
                format!(
                    "segment record {seq} names the checkpoint of size {} as the last one signed before it, but checkpoints holds {}: checkpoints were removed or the log was cut and resumed",
                    named.size,
                    match last_before {
                        Some((size, _)) => format!("a different last one (size {size})"),
                        None => "none".to_owned(),
                    }
                ),
            );
        }
    }
    if let Some(end) = &log.ended
        && end.seq + 1 == log.records
        && summary.signed_size != log.records
    {
        f.add(
            K::FinalCheckpointMissing,
            Some(end.seq),
            "the session ended but no checkpoint covers its end: the final checkpoint was removed",
        );
    }
    summary
}

/// One finding for all notes that cover records the log does not hold: after
/// a damaged or cut log they are consequences of one cause, not many. A
/// signed note proves the records existed: this is removal, not a crash.
fn report_beyond(f: &mut Findings, what: &str, sizes: &[u64], records: u64) {
    let (Some(first), Some(last)) = (sizes.first(), sizes.last()) else {
        return;
    };
    let which = if sizes.len() == 1 {
        format!("the {what} of size {first} covers")
    } else {
        format!("{} {what}s (sizes {first} to {last}) cover", sizes.len())
    };
    f.add(
        K::RemovedRecords,
        Some(records),
        format!("{which} records beyond the {records} the log holds: records {records}–{} were signed, then removed or made unreadable", last.saturating_sub(1)),
    );
}

fn backend_verifier(log: &LogState, opts: &VerifyOptions) -> Option<NoteVerifier> {
    opts.backend_key.clone().or_else(|| {
        log.header
            .as_ref()
            .and_then(|h| h.backend_key.as_deref())
            .and_then(|k| NoteVerifier::parse(k).ok())
    })
}

/// The receipts that verified: (size, cosignature time in POSIX seconds), by size.
pub(crate) type ValidReceipts = Vec<(u64, u64)>;

/// Checks every receipt: order, match with a checkpoint, cosignature, and its reference in the log.
pub(crate) fn check_receipts(
    receipts: &[NoteEntry],
    checkpoints: &[NoteEntry],
    log: &LogState,
    opts: &VerifyOptions,
    f: &mut Findings,
) -> (ReceiptSummary, ValidReceipts) {
    let mut valid = ValidReceipts::new();
    let backend = backend_verifier(log, opts);
    let mut summary = ReceiptSummary {
        backend_key_pinned: opts.backend_key.is_some(),
        backend_key: backend
            .as_ref()
            .map(|b| format!("{}+{:08x}", b.name(), b.key_id())),
        ..ReceiptSummary::default()
    };
    let backend = match backend {
        Some(b) if b.sig_type() == SIG_TYPE_COSIGNATURE_V1 => Some(b),
        Some(_) => {
            f.add(
                K::ReceiptUnverifiable,
                None,
                "the backend key is not a cosignature key (type 0x04)",
            );
            None
        }
        None => None,
    };
    if backend.is_none() && !receipts.is_empty() {
        f.add(
            K::ReceiptUnverifiable,
            None,
            "the session has receipts but no backend key is known to check them; pass --backend-key",
        );
    }
    let now = now_secs();
    let mut prev = 0u64;
    let mut beyond = Vec::new();
    let mut valid_hashes = std::collections::HashSet::new();
    let mut checkpoint_of: HashMap<u64, &NoteEntry> = HashMap::new();
    for c in checkpoints {
        if let Some(b) = &c.body {
            checkpoint_of.entry(b.size).or_insert(c);
        }
    }
    for e in receipts {
        let Some(body) = &e.body else { continue };
        let at = format!(
            "the receipt for size {} (byte {} of receipts)",
            body.size, e.offset
        );
        let mut ok = true;
        if body.size <= prev {
            f.add(
                K::BadReceipt,
                None,
                format!("{at} is out of order: receipts were duplicated, reordered or inserted"),
            );
            ok = false;
        }
        prev = prev.max(body.size);
        valid_hashes.insert((body.size, e.sha256));
        if body.size > log.records {
            beyond.push(body.size);
            continue;
        }
        let ckpt = checkpoint_of.get(&body.size);
        match ckpt {
            Some(c) if c.note.text() == e.note.text() => {
                let ours = c.note.signatures();
                let extra: Vec<_> = e
                    .note
                    .signatures()
                    .iter()
                    .filter(|s| !ours.contains(s))
                    .collect();
                let cosig_only = extra.len() == 1
                    && backend.as_ref().is_some_and(|b| {
                        extra[0].name == b.name() && extra[0].key_id == b.key_id()
                    });
                if !ours.iter().all(|s| e.note.signatures().contains(s)) || !cosig_only {
                    f.add(K::BadReceipt, None, format!("{at} does not carry exactly the session's signature and one backend cosignature"));
                    ok = false;
                }
            }
            _ => {
                f.add(
                    K::BadReceipt,
                    None,
                    format!("{at} does not cosign a checkpoint of this session"),
                );
                ok = false;
            }
        }
        if log.roots.get(&body.size) != Some(&body.root) {
            f.add(
                K::RootMismatch,
                None,
                format!("{at} does not match the log: cosigned records were altered or removed"),
            );
            ok = false;
        }
        let mut time = 0;
        if let Some(b) = &backend {
            match e.note.verify_cosignature(b) {
                Ok(ts) if ts <= now + MAX_FUTURE_SECS => {
                    summary.first_timestamp.get_or_insert(ts);
                    summary.last_timestamp = Some(ts);
                    time = ts;
                }
                Ok(ts) => {
                    f.add(
                        K::BadReceipt,
                        None,
                        format!("{at} is dated in the future (POSIX time {ts})"),
                    );
                    ok = false;
                }
                Err(err) => {
                    f.add(K::BadReceipt, None, format!("{at}: {err}"));
                    ok = false;
                }
            }
        } else {
            ok = false;
        }
        if ok {
            summary.count += 1;
            summary.cosigned_size = summary.cosigned_size.max(body.size);
            valid.push((body.size, time));
        }
    }
    report_beyond(f, "receipt", &beyond, log.records);
    for (seq, r) in &log.receipt_refs {
        if !valid_hashes.contains(&(r.size, r.receipt_sha256.0)) {
            f.add(
                K::MissingReceipt,
                Some(*seq),
                format!(
                    "record {seq} references a receipt for size {} that is not in receipts",
                    r.size
                ),
            );
        }
    }
    (summary, valid)
}
