//! What a session directory holds to send: its records, its checkpoints,
//! the blobs its records name, and from its receipts what the backend has
//! already cosigned. Only records a checkpoint covers are sent: anything
//! after the last checkpoint is unsigned (a crash tail) and proves nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paraakh_evidence::frame::{FileKind, FrameReader};
use paraakh_evidence::keys::NoteVerifier;
use paraakh_evidence::layout;
use paraakh_evidence::note::{CheckpointBody, SignedNote};
use paraakh_evidence::record::{Body, KeyCertificate, Record, SessionHeader};

use crate::SyncError;

/// A session directory seen as things to upload.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    header: SessionHeader,
    records: Vec<Vec<u8>>,
    checkpoints: Vec<(u64, SignedNote)>,
    receipt_size: u64,
    receipts: Vec<(u64, SignedNote)>,
    /// Blobs by the record that names them: seq → (sha256 hex, size).
    blobs: BTreeMap<u64, (String, u64)>,
    /// The last `end` record.
    end_seq: Option<u64>,
    /// Session keys by the first record they sign for.
    keys: Vec<(u64, KeyCertificate)>,
}

fn bad(dir: &Path, message: impl Into<String>) -> SyncError {
    SyncError::Session {
        path: dir.to_owned(),
        message: message.into(),
    }
}

/// Reads the intact frames of one file; a torn or damaged tail ends the list
/// (what follows is not signed by any checkpoint this client will send).
fn frames(dir: &Path, kind: FileKind) -> Result<Vec<Vec<u8>>, SyncError> {
    let path = dir.join(kind.file_name());
    let mut reader = FrameReader::open(&path, kind).map_err(|error| SyncError::Io {
        what: "cannot read",
        path: path.clone(),
        error,
    })?;
    let mut out = Vec::new();
    while let Ok(Some(frame)) = reader.next_frame() {
        out.push(frame.payload);
    }
    Ok(out)
}

fn notes(dir: &Path, kind: FileKind) -> Result<Vec<(u64, SignedNote)>, SyncError> {
    let mut out = Vec::new();
    for payload in frames(dir, kind)? {
        let note = SignedNote::parse(&payload).map_err(|e| {
            bad(
                dir,
                format!("a note in {} is damaged: {e}", kind.file_name()),
            )
        })?;
        let body = CheckpointBody::parse(note.text()).map_err(|e| {
            bad(
                dir,
                format!("a note in {} is damaged: {e}", kind.file_name()),
            )
        })?;
        out.push((body.size, note));
    }
    Ok(out)
}

impl Outbox {
    /// Reads the session in `dir`.
    pub fn open(dir: &Path) -> Result<Self, SyncError> {
        if !dir.join(layout::LOG).is_file() {
            return Err(bad(dir, "not a session directory (it has no evidence log)"));
        }
        let records = frames(dir, FileKind::Log)?;
        let header = match records.first().map(|r| Record::parse(r)) {
            Some(Ok(Record {
                body: Body::Header(h),
                ..
            })) => *h,
            _ => return Err(bad(dir, "the log does not start with a session header")),
        };
        // The id names files here (token files) and paths on the server.
        if !layout::valid_id(&header.session_id) || !layout::valid_id(&header.tenant_id) {
            return Err(bad(
                dir,
                format!(
                    "the session header names session {:?} of tenant {:?}, which are not plain ids: the session is damaged or was altered",
                    header.session_id, header.tenant_id
                ),
            ));
        }
        let mut keys = vec![(0, header.session_key.clone())];
        let mut blobs = BTreeMap::new();
        let mut end_seq = None;
        for (seq, bytes) in records.iter().enumerate() {
            match Record::parse(bytes).map(|r| r.body) {
                Ok(Body::Blob(b)) => {
                    blobs.insert(seq as u64, (b.sha256.to_hex(), b.size));
                }
                Ok(Body::End(_)) => end_seq = Some(seq as u64),
                Ok(Body::Segment(segment)) => keys.push((seq as u64, segment.session_key)),
                _ => {}
            }
        }
        let mut checkpoints = notes(dir, FileKind::Checkpoints)?;
        checkpoints.retain(|(size, _)| *size as usize <= records.len());
        let receipts = notes(dir, FileKind::Receipts)?;
        let receipt_size = receipts.iter().map(|(s, _)| *s).max().unwrap_or(0);
        Ok(Self {
            dir: dir.to_owned(),
            header,
            records,
            checkpoints,
            receipt_size,
            receipts,
            blobs,
            end_seq,
            keys,
        })
    }

    /// The certificate of the session key that signs checkpoints of `size`.
    pub fn key_for(&self, size: u64) -> Option<&KeyCertificate> {
        self.keys
            .iter()
            .rev()
            .find(|(first, _)| *first < size)
            .map(|(_, cert)| cert)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Record 0.
    pub fn header(&self) -> &SessionHeader {
        &self.header
    }

    /// The records, verbatim.
    pub fn records(&self) -> &[Vec<u8>] {
        &self.records
    }

    /// The signed checkpoints, oldest first.
    pub fn checkpoints(&self) -> &[(u64, SignedNote)] {
        &self.checkpoints
    }

    /// Records covered by the last checkpoint: what can be sent.
    pub fn sendable(&self) -> u64 {
        self.checkpoints.iter().map(|(s, _)| *s).max().unwrap_or(0)
    }

    /// Size covered by the newest stored receipt.
    pub fn receipt_size(&self) -> u64 {
        self.receipt_size
    }

    /// The newest receipt whose cosignature verifies under `backend`:
    /// its size and cosignature time (POSIX seconds).
    pub fn newest_receipt_time(&self, backend: &NoteVerifier) -> Option<(u64, u64)> {
        self.receipts
            .iter()
            .rev()
            .find_map(|(size, note)| note.verify_cosignature(backend).ok().map(|t| (*size, t)))
    }

    /// Wall-clock time of the last record, POSIX seconds (0 if unknown).
    pub fn last_record_secs(&self) -> u64 {
        self.records
            .last()
            .and_then(|r| Record::parse(r).ok())
            .map_or(0, |r| {
                u64::try_from(r.time.utc_ns / 1_000_000_000).unwrap_or(0)
            })
    }

    /// Blobs named by records `from..to`: (sha256, size).
    pub fn blobs_in(&self, from: u64, to: u64) -> impl Iterator<Item = &(String, u64)> {
        self.blobs.range(from..to).map(|(_, b)| b)
    }

    /// Whether an `end` record is among the sendable records.
    pub fn ended(&self) -> bool {
        self.end_seq.is_some_and(|seq| seq < self.sendable())
    }

    /// Where blob `sha256` is stored.
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        layout::blob_path(&self.dir, sha256)
    }
}
