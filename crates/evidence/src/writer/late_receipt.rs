//! Receipts that arrive when no process is writing the session: after it
//! ended, or after a crash before it was resumed (`paraakh sync`). They go
//! into `receipts` only; the log cannot reference them without a session
//! key, which is gone. Verification accepts them (see the format's limits).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use super::{WriterError, io_err, lock_dir, receipt_to_store};
use crate::frame::{FileKind, encode_frame};
use crate::keys::NoteVerifier;
use crate::layout;
use crate::note::{CheckpointBody, SignedNote};

fn notes(dir: &Path, kind: FileKind) -> Result<(Vec<(u64, SignedNote)>, u64), WriterError> {
    let (frames, scan) = crate::recovery::part(dir, kind)?;
    let mut out = Vec::with_capacity(frames.len());
    for f in frames {
        let note = SignedNote::parse(&f.payload)?;
        let size = CheckpointBody::parse(note.text())?.size;
        out.push((size, note));
    }
    Ok((out, scan.valid_len))
}

/// Stores `receipt` for the session in `dir`, which no process may be
/// writing. Returns false if a receipt as new or newer is already stored.
pub fn store_receipt(
    dir: &Path,
    receipt: &SignedNote,
    backend: &NoteVerifier,
) -> Result<bool, WriterError> {
    if !dir.join(layout::LOG).exists() {
        return Err(WriterError::NotASession(dir.to_owned()));
    }
    let _lock = lock_dir(dir)?;
    let size = CheckpointBody::parse(receipt.text())?.size;
    let (checkpoints, _) = notes(dir, FileKind::Checkpoints)?;
    let ours = checkpoints.iter().find(|(s, _)| *s == size).map(|(_, n)| n);
    let stored = receipt_to_store(ours, receipt, backend)?;
    let (receipts, valid_len) = notes(dir, FileKind::Receipts)?;
    if receipts.iter().any(|(s, _)| *s >= size) {
        return Ok(false);
    }
    let path = dir.join(layout::RECEIPTS);
    let mut file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(io_err("cannot open for appending", &path))?;
    // A torn tail from an append that never finished is cut first.
    file.set_len(valid_len)
        .and_then(|()| {
            use std::io::Seek;
            file.seek(std::io::SeekFrom::End(0)).map(drop)
        })
        .and_then(|()| file.write_all(&encode_frame(stored.encode().as_bytes())))
        .and_then(|()| file.sync_data())
        .map_err(io_err("cannot append to", &path))?;
    Ok(true)
}
