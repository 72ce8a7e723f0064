//! The backend's copy of a session written out as a session directory, the
//! format `paraakh verify` checks: what an auditor receives from the tenant.
//! With it: the statement the session names, the histories the backend
//! refused as forks (`conflicts`) and the reviewers' decisions (`review`).

use std::fs;
use std::io::Write;
use std::path::Path;

use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use paraakh_evidence::frame::{FileKind, encode_frame};
use paraakh_evidence::layout;

use crate::IngestError;
use crate::store::SessionStore;

fn io(what: &str, path: &Path, e: std::io::Error) -> IngestError {
    IngestError::Config(format!("{what} {}: {e}", path.display()))
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exported {
    /// Records in `log`.
    pub records: u64,
    /// Notes in `checkpoints`.
    pub checkpoints: usize,
    /// Notes in `receipts`.
    pub receipts: usize,
    /// Files in `blobs/`.
    pub blobs: usize,
    /// Whether the statement the session names was written.
    pub statement: bool,
    /// Refused histories written to `conflicts`.
    pub conflicts: usize,
    /// Reviewers' decisions written to `review`.
    pub decisions: usize,
}

/// The statement nonce record 0 names, if the log starts with a header.
fn log_header_nonce(log: &[u8]) -> Option<String> {
    let first = paraakh_evidence::frame::FrameReader::new(log, FileKind::Log)
        .next_frame()
        .ok()??;
    match paraakh_evidence::Record::parse(&first.payload).ok()?.body {
        paraakh_evidence::Body::Header(h) => h.server_nonce,
        _ => None,
    }
}

/// Writes the session held in `store` into `out` (created; must be empty or missing).
pub async fn export(store: &SessionStore, out: &Path) -> Result<Exported, IngestError> {
    fs::create_dir_all(out.join(layout::BLOBS)).map_err(|e| io("cannot create", out, e))?;
    if fs::read_dir(out)
        .map_err(|e| io("cannot read", out, e))?
        .flatten()
        .any(|e| e.file_name() != layout::BLOBS)
    {
        return Err(IngestError::Config(format!(
            "{} is not empty: export into a new directory",
            out.display()
        )));
    }
    let mut summary = Exported::default();
    let magic = FileKind::Log.magic();
    let mut log = FileKind::Log.magic().to_vec();
    let mut next = 0;
    for (first, end, batch) in store.record_batches().await? {
        if first != next || !batch.starts_with(magic) {
            return Err(IngestError::Config(format!(
                "the stored records do not follow each other at record {first}"
            )));
        }
        log.extend_from_slice(&batch[magic.len()..]);
        next = end;
    }
    summary.records = next;
    let write = |name: &str, data: &[u8]| -> Result<(), IngestError> {
        let path = out.join(name);
        fs::write(&path, data).map_err(|e| io("cannot write", &path, e))
    };
    write(layout::LOG, &log)?;
    for (dir, kind) in [
        ("checkpoints", FileKind::Checkpoints),
        ("receipts", FileKind::Receipts),
    ] {
        let mut file = kind.magic().to_vec();
        let notes = store.notes(dir).await?;
        for (_, note) in &notes {
            file.extend_from_slice(&encode_frame(note));
        }
        if kind == FileKind::Checkpoints {
            summary.checkpoints = notes.len();
        } else {
            summary.receipts = notes.len();
        }
        write(kind.file_name(), &file)?;
    }
    let nonce = log_header_nonce(&log);
    if let Some(nonce) = nonce
        && let Some(statement) = store.statement(&nonce).await?
    {
        write(layout::STATEMENT, &statement)?;
        summary.statement = true;
    }
    let conflicts = store.conflicts().await?;
    if !conflicts.is_empty() {
        let mut file = FileKind::Conflicts.magic().to_vec();
        for c in &conflicts {
            file.extend_from_slice(&encode_frame(c));
        }
        write(layout::CONFLICTS, &file)?;
        summary.conflicts = conflicts.len();
    }
    let decisions = store.decisions().await?;
    if !decisions.is_empty() {
        let notes: Vec<&[u8]> = decisions.iter().map(|(_, n)| n.as_ref()).collect();
        write(layout::REVIEW, &paraakh_evidence::review::file_of(&notes))?;
        summary.decisions = decisions.len();
    }
    for name in store.blob_names().await? {
        let path = out.join(layout::BLOBS).join(&name);
        let mut file = fs::File::create(&path).map_err(|e| io("cannot create", &path, e))?;
        let mut stream = store
            .object_store()
            .get(&store.blob_path(&name))
            .await?
            .into_stream();
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?)
                .map_err(|e| io("cannot write", &path, e))?;
        }
        summary.blobs += 1;
    }
    Ok(summary)
}
