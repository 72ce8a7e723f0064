//! Resuming a session after the writing process stopped unexpectedly.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::path::Path;
use std::sync::Arc;

use super::{SessionWriter, WriterError, certify, io_err, lock_dir, sync_dir};
use crate::clock::Clock;
use crate::frame::FileKind;
use crate::keys::{NoteSigner, TenantPublicKey};
use crate::layout::{self, BLOB_TMP_PREFIX};
use crate::merkle::sha256;
use crate::record::{Body, CheckpointRef, HexHash, RecoveryNote, SegmentStart, Severity, to_hex};

/// What recovery found when a session was resumed.
#[derive(Debug, Clone, Default)]
pub struct Recovered {
    /// Records intact in the log before the new segment.
    pub records: u64,
    /// The repairs made (also written into the segment record).
    pub note: RecoveryNote,
    /// The log already ended with an end record (the crash hit while sealing).
    pub had_ended: bool,
    /// Time between the last record before the crash and the resume, by the wall clock.
    pub gap_ns: i64,
}

impl SessionWriter {
    /// Resumes a session after the writing process stopped unexpectedly:
    /// cuts a torn tail, removes blob files that were never recorded, and
    /// starts a new segment with a new session key certified by `device`.
    pub fn resume(
        dir: &Path,
        device: &NoteSigner,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, Recovered), WriterError> {
        if !dir.join(layout::LOG).exists() {
            return Err(WriterError::NotASession(dir.to_owned()));
        }
        let lock = lock_dir(dir)?;
        let scan = crate::recovery::scan(dir)?;
        let sealed = scan.checkpoint_notes.keys().next_back() == Some(&scan.tree.size());
        if scan.ended && sealed {
            return Err(WriterError::AlreadyEnded(dir.to_owned()));
        }
        if scan.header.device_key.0 != device.public_key() {
            return Err(WriterError::WrongDeviceKey(to_hex(
                &scan.header.device_key.0[..8],
            )));
        }
        let mut note = RecoveryNote {
            truncated_log_bytes: scan.log.truncated,
            truncated_checkpoint_bytes: scan.checkpoints.truncated,
            truncated_receipt_bytes: scan.receipts.truncated,
            discarded_blobs: Vec::new(),
        };
        for (kind, part) in [
            (FileKind::Log, &scan.log),
            (FileKind::Checkpoints, &scan.checkpoints),
            (FileKind::Receipts, &scan.receipts),
        ] {
            if part.truncated > 0 {
                let path = dir.join(kind.file_name());
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_err("cannot open", &path))?;
                f.set_len(part.valid_len)
                    .and_then(|()| f.sync_all())
                    .map_err(io_err("cannot cut the torn tail of", &path))?;
            }
        }
        note.discarded_blobs = discard_unrecorded_blobs(dir, &scan.blob_names)?;

        let tenant_key = TenantPublicKey::new(
            &scan.header.tenant_encryption_key.name,
            scan.header.tenant_encryption_key.key.0,
        )?;
        let origin = scan.header.origin.clone();
        let segment = scan.segments + 1;
        let (session_key, cert) = certify(device, &origin, segment)?;
        let records = scan.tree.size();
        let mut writer = Self::start(
            dir,
            origin,
            lock,
            session_key,
            tenant_key,
            scan.tree,
            scan.log.valid_len,
            clock,
        )?;
        writer.checkpoint_notes = scan.checkpoint_notes;
        writer.sealing_only = scan.ended;
        writer.last_receipt_size = scan.last_receipt_size;
        let previous_checkpoint =
            writer
                .checkpoint_notes
                .iter()
                .next_back()
                .map(|(&size, note)| CheckpointRef {
                    size,
                    note_sha256: HexHash(sha256(note.encode().as_bytes())),
                });
        writer.append(
            Severity::Medium,
            Body::Segment(SegmentStart {
                session_key: cert,
                recovery: note.clone(),
                previous_checkpoint,
            }),
        )?;
        // A checkpoint signed just before the crash whose log reference was never written.
        let unreferenced = writer
            .checkpoint_notes
            .iter()
            .next_back()
            .filter(|(size, _)| !scan.referenced_checkpoints.contains(size))
            .map(|(&size, note)| CheckpointRef {
                size,
                note_sha256: HexHash(sha256(note.encode().as_bytes())),
            });
        if let Some(reference) = unreferenced {
            writer.append(Severity::Info, Body::Checkpoint(reference))?;
        }
        writer.sync()?;
        let gap_ns = writer
            .last_time
            .map(|t| t.utc_ns.saturating_sub(scan.last_time.utc_ns))
            .unwrap_or_default();
        Ok((
            writer,
            Recovered {
                records,
                note,
                had_ended: scan.ended,
                gap_ns,
            },
        ))
    }
}

fn discard_unrecorded_blobs(
    dir: &Path,
    recorded: &HashSet<String>,
) -> Result<Vec<HexHash>, WriterError> {
    let blobs = dir.join(layout::BLOBS);
    let mut discarded = Vec::new();
    let entries = fs::read_dir(&blobs).map_err(io_err("cannot list", &blobs))?;
    for entry in entries {
        let entry = entry.map_err(io_err("cannot list", &blobs))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(BLOB_TMP_PREFIX) {
            fs::remove_file(entry.path()).map_err(io_err("cannot remove", &entry.path()))?;
        } else if let Some(h) = HexHash::parse(&name)
            && !recorded.contains(&name)
        {
            // Sealed and renamed, but the crash came before its record: never committed.
            fs::remove_file(entry.path()).map_err(io_err("cannot remove", &entry.path()))?;
            discarded.push(h);
        }
    }
    sync_dir(&blobs)?;
    discarded.sort();
    Ok(discarded)
}
