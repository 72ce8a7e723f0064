//! One session's upload: records and checkpoints in batches, the receipt
//! stored, then the blobs the server lacks, each resumed from the offset
//! the server holds. Every step asks the server what it holds first, so an
//! interrupted sync continues where it stopped and nothing acknowledged is
//! sent again.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paraakh_evidence::keys::NoteVerifier;
use paraakh_evidence::note::SignedNote;
use paraakh_evidence::writer::store_receipt;
use paraakh_protocol::{
    self as protocol, CheckpointRequest, CheckpointResponse, MissingBlob, SessionStatus,
};
use reqwest::StatusCode;
use reqwest::header::CONTENT_RANGE;

use crate::SyncError;
use crate::client::Api;
use crate::outbox::Outbox;

/// Sizes that shape the upload.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Bytes of a blob sent per request: at most this much is sent again
    /// after an interrupted request.
    pub chunk_bytes: usize,
    /// Bytes of records (before base64) per checkpoint request.
    pub batch_bytes: usize,
    /// The backend's cosigning key, when the session's header does not pin one.
    pub backend_key: Option<NoteVerifier>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            chunk_bytes: 1 << 20,
            batch_bytes: 4 << 20,
            backend_key: None,
        }
    }
}

/// How far an upload got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes the server has acknowledged in this sync.
    pub done: u64,
    /// Bytes this sync has to send.
    pub total: u64,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// The session.
    pub session_id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Records a checkpoint covers locally (what can be sent).
    pub sendable_records: u64,
    /// Records sent in this sync.
    pub records_sent: u64,
    /// Blobs completed in this sync.
    pub blobs_sent: u64,
    /// Bytes of requests sent (records before base64, blob chunks), retries included.
    pub bytes_sent: u64,
    /// Of those, bytes sent more than once (after interrupted requests).
    pub bytes_resent: u64,
    /// Requests repeated after a transient failure.
    pub retries: u64,
    /// Size the newest receipt covers.
    pub cosigned_size: u64,
    /// A newer receipt was stored in the session directory.
    pub receipt_stored: bool,
    /// The key receipts were checked with (C2SP vkey).
    pub backend_key: String,
    /// Where it came from.
    pub backend_key_source: String,
    /// The server holds and cosigned every sendable record and holds every blob.
    pub complete: bool,
    /// The session has ended (an end record is covered by a checkpoint).
    pub ended: bool,
}

struct Run<'a> {
    api: &'a Api,
    outbox: Outbox,
    opts: &'a SyncOptions,
    report: SyncReport,
    progress: Progress,
    on_progress: &'a mut dyn FnMut(Progress),
    on_receipt: Option<&'a mut ReceiptSink<'a>>,
    backend: Option<NoteVerifier>,
}

/// Where a live session's receipts go (the writer records them).
pub type ReceiptSink<'a> = dyn FnMut(&SignedNote, &NoteVerifier) + 'a;

fn protocol_err(what: &str, e: impl std::fmt::Display) -> SyncError {
    SyncError::Protocol {
        what: what.to_owned(),
        message: e.to_string(),
    }
}

/// Uploads what the server lacks of the session in `dir` (which no process
/// is writing: receipts are stored in its `receipts`).
pub fn sync_session(
    api: &Api,
    dir: &Path,
    opts: &SyncOptions,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<SyncReport, SyncError> {
    sync(api, dir, opts, on_progress, None)
}

/// Uploads what the server lacks of a session while it is being recorded:
/// each receipt, checked under the backend key, goes to `on_receipt` (the
/// writer records it in the log) instead of into the directory.
pub fn sync_live_session(
    api: &Api,
    dir: &Path,
    opts: &SyncOptions,
    on_receipt: &mut ReceiptSink<'_>,
) -> Result<SyncReport, SyncError> {
    sync(api, dir, opts, &mut |_| {}, Some(on_receipt))
}

fn sync<'a>(
    api: &'a Api,
    dir: &Path,
    opts: &'a SyncOptions,
    on_progress: &'a mut dyn FnMut(Progress),
    on_receipt: Option<&'a mut ReceiptSink<'a>>,
) -> Result<SyncReport, SyncError> {
    let outbox = Outbox::open(dir)?;
    let header = outbox.header().clone();
    let report = SyncReport {
        session_id: header.session_id.clone(),
        tenant_id: header.tenant_id.clone(),
        sendable_records: outbox.sendable(),
        ended: outbox.ended(),
        ..SyncReport::default()
    };
    let mut run = Run {
        api,
        outbox,
        opts,
        report,
        progress: Progress::default(),
        on_progress,
        on_receipt,
        backend: None,
    };
    run.backend = run.backend_key(header.backend_key.as_deref())?;
    run.report.backend_key = run
        .backend
        .as_ref()
        .map(NoteVerifier::encode)
        .unwrap_or_default();
    run.upload()?;
    Ok(run.report)
}

impl Run<'_> {
    fn session(&self) -> &str {
        &self.outbox.header().session_id
    }

    fn backend_key(&mut self, pinned: Option<&str>) -> Result<Option<NoteVerifier>, SyncError> {
        if let Some(text) = pinned {
            self.report.backend_key_source = "pinned in the session header".into();
            return NoteVerifier::parse(text)
                .map(Some)
                .map_err(|e| protocol_err("the session header's backend key", e));
        }
        if let Some(key) = &self.opts.backend_key {
            self.report.backend_key_source = "given on the command line".into();
            return Ok(Some(key.clone()));
        }
        let response = self.api.send(
            "the backend key",
            &[],
            || {},
            |c| c.get(self.api.url(protocol::BACKEND_KEY_PATH)),
        )?;
        let text = response
            .text()
            .map_err(|e| protocol_err("the backend key", e))?;
        self.report.backend_key_source =
            "fetched from the server (not pinned: auditors must pin it with --backend-key)".into();
        NoteVerifier::parse(text.trim())
            .map(Some)
            .map_err(|e| protocol_err("the backend key", e))
    }

    fn status(&mut self) -> Result<Option<SessionStatus>, SyncError> {
        let path = protocol::session_path(self.session());
        let mut retries = 0;
        let response = self.api.send(
            "the session status",
            &[StatusCode::NOT_FOUND],
            || retries += 1,
            |c| c.get(self.api.url(&path)),
        )?;
        self.report.retries += retries;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        response
            .json()
            .map(Some)
            .map_err(|e| protocol_err("the session status", e))
    }

    fn tick(&mut self, bytes: u64) {
        self.progress.done = (self.progress.done + bytes).min(self.progress.total);
        (self.on_progress)(self.progress);
    }

    fn upload(&mut self) -> Result<(), SyncError> {
        let status = self.status()?;
        let sendable = self.outbox.sendable();
        let held = status.as_ref().map_or(0, |s| s.records).min(sendable);
        let mut missing = status
            .as_ref()
            .map(|s| s.missing_blobs.clone())
            .unwrap_or_default();
        self.progress.total = self.outbox.records()[held as usize..sendable as usize]
            .iter()
            .map(|r| r.len() as u64)
            .sum::<u64>()
            + missing.iter().map(|b| b.size - b.offset).sum::<u64>()
            + self
                .outbox
                .blobs_in(held, sendable)
                .map(|b| b.1)
                .sum::<u64>();
        (self.on_progress)(self.progress);

        let mut server_checkpoints: BTreeSet<u64> = status
            .as_ref()
            .map(|s| s.checkpoints.iter().copied().collect())
            .unwrap_or_default();
        let cosigned = status.as_ref().map_or(0, |s| s.cosigned_size);
        let mut next = held;
        let need_receipt = cosigned < sendable || self.outbox.receipt_size() < sendable;
        let mut posted = false;
        while sendable > 0 && (next < sendable || (need_receipt && !posted)) {
            let response = self.post_batch(&mut next, sendable, &mut server_checkpoints)?;
            posted = true;
            missing = response.missing_blobs;
            self.report.cosigned_size = response.cosigned_size;
            if let Some(receipt) = response.receipt {
                self.store_receipt(&receipt)?;
            }
        }
        for blob in missing {
            self.upload_blob(&blob)?;
        }
        let done = self.status()?;
        if let Some(s) = done {
            self.report.cosigned_size = s.cosigned_size;
            self.report.complete =
                s.records >= sendable && s.cosigned_size >= sendable && s.missing_blobs.is_empty();
        }
        Ok(())
    }

    /// Sends the records from `next` (up to the batch size) with the
    /// checkpoints they complete; on a conflict, continues from what the
    /// server holds.
    fn post_batch(
        &mut self,
        next: &mut u64,
        sendable: u64,
        server_checkpoints: &mut BTreeSet<u64>,
    ) -> Result<CheckpointResponse, SyncError> {
        let first = *next;
        // A batch ends at a checkpoint: the server keeps no record that a
        // checkpoint does not cover. It spans as many checkpoints as fit.
        let mut end = first;
        let mut bytes = 0;
        let mut new_checkpoints = 0;
        for &(size, _) in self.outbox.checkpoints() {
            if size <= first || size > sendable {
                continue;
            }
            let add: usize = self.outbox.records()[end as usize..size as usize]
                .iter()
                .map(Vec::len)
                .sum();
            let more = usize::from(!server_checkpoints.contains(&size));
            if end > first
                && (bytes + add > self.opts.batch_bytes
                    || new_checkpoints + more > protocol::MAX_CHECKPOINTS_PER_REQUEST)
            {
                break;
            }
            bytes += add;
            end = size;
            new_checkpoints += more;
        }
        let notes: Vec<(u64, String)> = self
            .outbox
            .checkpoints()
            .iter()
            .filter(|(size, _)| *size <= end && !server_checkpoints.contains(size))
            .map(|(size, note)| (*size, note.encode()))
            .take(protocol::MAX_CHECKPOINTS_PER_REQUEST)
            .collect();
        let mut key_certificates: Vec<protocol::KeyCertificate> = Vec::new();
        for (size, _) in &notes {
            if let Some(cert) = self.outbox.key_for(*size) {
                let cert = protocol::KeyCertificate {
                    segment: cert.segment,
                    public_key: B64.encode(cert.public_key.0),
                    certificate: B64.encode(cert.certificate.0),
                };
                if !key_certificates.contains(&cert) {
                    key_certificates.push(cert);
                }
            }
        }
        let request = CheckpointRequest {
            first_seq: first,
            records: self.outbox.records()[first as usize..end as usize]
                .iter()
                .map(|r| B64.encode(r))
                .collect(),
            checkpoints: notes.iter().map(|(_, n)| n.clone()).collect(),
            key_certificates,
        };
        let body = serde_json::to_vec(&request).map_err(|e| protocol_err("a batch", e))?;
        let path = protocol::checkpoints_path(self.session());
        let mut attempts = 0u64;
        let response = self.api.send(
            "a batch of records",
            &[StatusCode::CONFLICT],
            || attempts += 1,
            |c| {
                c.post(self.api.url(&path))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            },
        )?;
        self.report.retries += attempts;
        self.report.bytes_sent += bytes as u64 * (attempts + 1);
        self.report.bytes_resent += bytes as u64 * attempts;
        if response.status() == StatusCode::CONFLICT {
            // The server holds a different number of records than we
            // thought (a request of ours arrived although its answer was
            // lost): ask, and go on from there.
            let status = self.status()?.ok_or_else(|| {
                protocol_err(
                    "a batch of records",
                    "the server reported a conflict but holds nothing",
                )
            })?;
            if status.records > sendable {
                return Err(protocol_err(
                    "a batch of records",
                    format!(
                        "the server holds {} records; this session has {sendable} to send",
                        status.records
                    ),
                ));
            }
            *server_checkpoints = status.checkpoints.iter().copied().collect();
            *next = status.records;
            return Ok(CheckpointResponse {
                records: status.records,
                receipt: None,
                cosigned_size: status.cosigned_size,
                missing_blobs: status.missing_blobs,
            });
        }
        let answer: CheckpointResponse = response
            .json()
            .map_err(|e| protocol_err("a batch of records", e))?;
        if answer.records < end {
            return Err(protocol_err(
                "a batch of records",
                format!(
                    "the server holds {} records after receiving up to {end}",
                    answer.records
                ),
            ));
        }
        self.report.records_sent += end - first;
        server_checkpoints.extend(notes.iter().map(|(s, _)| *s));
        *next = end;
        self.tick(bytes as u64);
        Ok(answer)
    }

    fn store_receipt(&mut self, text: &str) -> Result<(), SyncError> {
        let Some(backend) = &self.backend else {
            return Ok(());
        };
        let note = SignedNote::parse(text.as_bytes())
            .map_err(|e| SyncError::Receipt(format!("it is not a signed note: {e}")))?;
        note.verify_cosignature(backend).map_err(|e| {
            SyncError::Receipt(format!(
                "its cosignature does not verify under the backend key: {e}"
            ))
        })?;
        if let Some(hand_over) = self.on_receipt.as_mut() {
            hand_over(&note, backend);
            return Ok(());
        }
        match store_receipt(self.outbox.dir(), &note, backend) {
            Ok(stored) => {
                self.report.receipt_stored |= stored;
                Ok(())
            }
            Err(paraakh_evidence::WriterError::Locked(_)) => Ok(()),
            Err(e) => Err(SyncError::Receipt(e.to_string())),
        }
    }

    fn upload_blob(&mut self, blob: &MissingBlob) -> Result<(), SyncError> {
        let path = self.outbox.blob_path(&blob.sha256);
        let mut file = File::open(&path).map_err(|error| SyncError::Io {
            what: "cannot read the blob",
            path: path.clone(),
            error,
        })?;
        let url = self
            .api
            .url(&protocol::blob_path(self.session(), &blob.sha256));
        let mut offset = blob.offset;
        let mut acknowledged = blob.offset;
        let mut buf = vec![0u8; self.opts.chunk_bytes.max(1)];
        while offset < blob.size {
            let len = (blob.size - offset).min(buf.len() as u64) as usize;
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.read_exact(&mut buf[..len]))
                .map_err(|error| SyncError::Io {
                    what: "cannot read the blob",
                    path: path.clone(),
                    error,
                })?;
            let chunk = buf[..len].to_vec();
            let range = protocol::content_range(offset, offset + len as u64, blob.size);
            let mut attempts = 0u64;
            let response = self.api.send(
                "a blob chunk",
                &[StatusCode::CONFLICT],
                || attempts += 1,
                |c| {
                    c.put(&url)
                        .header(CONTENT_RANGE, &range)
                        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                        .body(chunk.clone())
                },
            )?;
            self.report.retries += attempts;
            self.report.bytes_sent += len as u64 * (attempts + 1);
            self.report.bytes_resent += len as u64 * attempts;
            let server_offset = response
                .headers()
                .get(protocol::UPLOAD_OFFSET)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            offset = match (response.status(), server_offset) {
                (_, Some(o)) if o <= blob.size => o,
                (StatusCode::CONFLICT, _) => self.blob_offset(&url)?,
                _ => offset + len as u64,
            };
            if offset > acknowledged {
                self.tick(offset - acknowledged);
                acknowledged = offset;
            }
        }
        self.report.blobs_sent += 1;
        Ok(())
    }

    fn blob_offset(&mut self, url: &str) -> Result<u64, SyncError> {
        let mut retries = 0;
        let response = self
            .api
            .send("a blob's offset", &[], || retries += 1, |c| c.head(url))?;
        self.report.retries += retries;
        response
            .headers()
            .get(protocol::UPLOAD_OFFSET)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| protocol_err("a blob's offset", "no Upload-Offset header"))
    }
}
