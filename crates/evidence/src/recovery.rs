//! Reading a session directory back after a crash: what is intact, what is a
//! torn tail that was never committed, and what must not be touched.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::clock::Timestamp;
use crate::frame::{FileKind, FrameError};
use crate::frame::{Frame, FrameReader};
use crate::merkle::{MerkleAccumulator, leaf_hash, sha256};
use crate::note::{CheckpointBody, SignedNote};
use crate::record::{Body, Record, SessionHeader};
use crate::writer::{WriterError, io_err};

/// One append-only file: where its intact part ends and how much follows it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PartScan {
    pub(crate) valid_len: u64,
    pub(crate) truncated: u64,
}

/// What recovery learned from a session directory.
#[derive(Debug)]
pub(crate) struct Scan {
    pub(crate) header: SessionHeader,
    pub(crate) segments: u32,
    pub(crate) tree: MerkleAccumulator,
    pub(crate) log: PartScan,
    pub(crate) checkpoints: PartScan,
    pub(crate) receipts: PartScan,
    pub(crate) checkpoint_notes: BTreeMap<u64, SignedNote>,
    pub(crate) referenced_checkpoints: HashSet<u64>,
    pub(crate) last_receipt_size: Option<u64>,
    pub(crate) blob_names: HashSet<String>,
    pub(crate) last_time: Timestamp,
    pub(crate) ended: bool,
}

pub(crate) fn part(
    dir: &Path,
    kind: FileKind,
) -> Result<(Vec<crate::frame::Frame>, PartScan), WriterError> {
    let path = dir.join(kind.file_name());
    let file_len = std::fs::metadata(&path)
        .map_err(|source| WriterError::Io {
            what: "cannot stat",
            path: path.clone(),
            source,
        })?
        .len();
    let (frames, error, valid_len) = read_frames(&path, kind)?;
    match error {
        None => {}
        Some(e) if e.is_crash_tail(&path, kind, file_len) => {}
        Some(FrameError::BadMagic { .. }) => {
            return Err(WriterError::Corrupt(format!(
                "{} does not start with its format header",
                path.display()
            )));
        }
        Some(e) => {
            return Err(WriterError::Corrupt(format!(
                "{}: {e}, with intact data after it: this is not what a crash leaves",
                path.display()
            )));
        }
    }
    Ok((
        frames,
        PartScan {
            valid_len,
            truncated: file_len.saturating_sub(valid_len),
        },
    ))
}

fn parse_notes(
    frames: &[crate::frame::Frame],
    what: &str,
) -> Result<Vec<(CheckpointBody, SignedNote)>, WriterError> {
    frames
        .iter()
        .map(|f| {
            let note = SignedNote::parse(&f.payload)
                .map_err(|e| WriterError::Corrupt(format!("{what} at byte {}: {e}", f.offset)))?;
            let body = CheckpointBody::parse(note.text())
                .map_err(|e| WriterError::Corrupt(format!("{what} at byte {}: {e}", f.offset)))?;
            Ok((body, note))
        })
        .collect()
}

/// Scans a session directory without changing it.
pub(crate) fn scan(dir: &Path) -> Result<Scan, WriterError> {
    let (ckpt_frames, checkpoints) = part(dir, FileKind::Checkpoints)?;
    let notes = parse_notes(&ckpt_frames, "checkpoint")?;
    let mut checkpoint_notes = BTreeMap::new();
    for (body, note) in notes {
        checkpoint_notes.insert(body.size, (body.root, note));
    }

    let (log_frames, log) = part(dir, FileKind::Log)?;
    let mut tree = MerkleAccumulator::new();
    let mut header = None;
    let mut segments = 0u32;
    let mut referenced_checkpoints = HashSet::new();
    let mut checkpoint_refs = Vec::new();
    let mut receipt_refs = Vec::new();
    let mut blob_names = HashSet::new();
    let mut last_time = None;
    let mut ended = false;
    for frame in &log_frames {
        let record = Record::parse(&frame.payload).map_err(|e| {
            WriterError::Corrupt(format!(
                "the record at byte {} of the log is unreadable: {e}",
                frame.offset
            ))
        })?;
        if record.seq != tree.size() {
            return Err(WriterError::Corrupt(format!(
                "the record at byte {} has sequence number {}, expected {}",
                frame.offset,
                record.seq,
                tree.size()
            )));
        }
        ended = false;
        match &record.body {
            Body::Header(h) if record.seq == 0 => header = Some((**h).clone()),
            Body::Segment(s) => segments = segments.max(s.session_key.segment),
            Body::Checkpoint(c) => {
                referenced_checkpoints.insert(c.size);
                checkpoint_refs.push((c.size, c.note_sha256.0));
            }
            Body::Receipt(r) => receipt_refs.push((r.size, r.receipt_sha256.0)),
            Body::Blob(b) => {
                blob_names.insert(b.sha256.to_hex());
            }
            Body::End(_) => ended = true,
            _ => {}
        }
        last_time = Some(record.time);
        tree.push(leaf_hash(&frame.payload));
        if let Some((root, _)) = checkpoint_notes.get(&tree.size())
            && *root != tree.root()
        {
            return Err(WriterError::Corrupt(format!(
                "the log's first {} records do not match their signed checkpoint",
                tree.size()
            )));
        }
    }
    let (Some(header), Some(last_time)) = (header, last_time) else {
        return Err(WriterError::Corrupt(
            "the log has no session header: the session never started, so there is nothing to resume".into(),
        ));
    };
    if let Some((&size, _)) = checkpoint_notes.iter().next_back()
        && size > tree.size()
    {
        return Err(WriterError::Corrupt(format!(
            "the log holds {} records but a signed checkpoint covers {size}: committed records are missing",
            tree.size()
        )));
    }

    // What the log says was committed must still be there: a cut that would
    // remove it is damage, not a torn tail.
    for (size, sha) in &checkpoint_refs {
        let present = checkpoint_notes
            .get(size)
            .is_some_and(|(_, note)| sha256(note.encode().as_bytes()) == *sha);
        if !present {
            return Err(WriterError::Corrupt(format!(
                "the log records a checkpoint of size {size} that checkpoints no longer holds"
            )));
        }
    }
    let (receipt_frames, receipts) = part(dir, FileKind::Receipts)?;
    for (size, sha) in &receipt_refs {
        if !receipt_frames.iter().any(|f| sha256(&f.payload) == *sha) {
            return Err(WriterError::Corrupt(format!(
                "the log records a receipt for size {size} that receipts no longer holds"
            )));
        }
    }
    let last_receipt_size = parse_notes(&receipt_frames, "receipt")?
        .iter()
        .map(|(b, _)| b.size)
        .max();

    Ok(Scan {
        header,
        segments,
        tree,
        log,
        checkpoints,
        receipts,
        checkpoint_notes: checkpoint_notes
            .into_iter()
            .map(|(k, (_, n))| (k, n))
            .collect(),
        referenced_checkpoints,
        last_receipt_size,
        blob_names,
        last_time,
        ended,
    })
}

/// Reads a framed file fully; returns the frames and where the good part ends.
pub(crate) fn read_frames(
    path: &Path,
    kind: FileKind,
) -> Result<(Vec<Frame>, Option<FrameError>, u64), WriterError> {
    let mut reader = FrameReader::open(path, kind).map_err(io_err("cannot open", path))?;
    let mut frames = Vec::new();
    loop {
        match reader.next_frame() {
            Ok(Some(f)) => frames.push(f),
            Ok(None) => return Ok((frames, None, reader.offset())),
            Err(FrameError::Io(e)) => return Err(io_err("cannot read", path)(e)),
            Err(e) => return Ok((frames, Some(e), reader.offset())),
        }
    }
}
