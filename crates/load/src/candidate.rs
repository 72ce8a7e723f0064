//! One simulated candidate: a whole session recorded beforehand (a real
//! one, by the evidence crate's simulator), revealed to the uploader bit by
//! bit as the exam's time passes — the log grows as a running engine's
//! does, checkpoints and blobs become sendable as the records that name
//! them appear — and uploaded with a real token.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use paraakh_evidence::TenantPublicKey;
use paraakh_evidence::frame::{FileKind, parse_all};
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_protocol::Tokens;

use crate::LoadError;

/// What each candidate records.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Events in the session.
    pub events: u64,
    /// Blobs (snapshots, clips).
    pub blobs: u64,
    /// Blob sizes, smallest and largest (bytes).
    pub blob_size: (u64, u64),
    /// A checkpoint every this many records.
    pub checkpoint_every: u64,
}

impl Default for Recording {
    fn default() -> Self {
        Self {
            events: 300,
            blobs: 6,
            blob_size: (20_000, 120_000),
            checkpoint_every: 20,
        }
    }
}

/// A candidate of the load.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub(crate) session_id: String,
    /// The whole log, as recorded.
    log: Vec<u8>,
    /// Where each record's frame ends in `log`.
    frame_ends: Vec<u64>,
    /// Records revealed so far.
    revealed: usize,
    /// The directory the uploader reads.
    pub(crate) live: PathBuf,
    pub(crate) tokens: Tokens,
    /// Which of the servers it uses now.
    pub(crate) server: usize,
    pub(crate) done: bool,
}

fn io(what: &'static str, path: &Path, error: std::io::Error) -> LoadError {
    LoadError::Io {
        what,
        path: path.to_owned(),
        error,
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), LoadError> {
    fs::create_dir_all(to).map_err(|e| io("cannot create", to, e))?;
    for entry in fs::read_dir(from).map_err(|e| io("cannot read", from, e))? {
        let entry = entry.map_err(|e| io("cannot read", from, e))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).map_err(|e| io("cannot copy", &target, e))?;
        }
    }
    Ok(())
}

impl Candidate {
    /// Records candidate `index`'s session under `work` and makes the
    /// directory the uploader reads, holding only the session's header.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn prepare(
        work: &Path,
        index: usize,
        prefix: &str,
        tenant: &str,
        exam: &str,
        tenant_key: &TenantPublicKey,
        recording: &Recording,
        tokens: Tokens,
    ) -> Result<Self, LoadError> {
        let session_id = format!("{prefix}{index:06}");
        let full = work.join("recorded").join(&session_id);
        let mut opts = SimulateOptions::new(tenant_key.clone(), 1_790_000_000_000_000_000);
        opts.offline = true;
        opts.tenant_id = tenant.to_owned();
        opts.exam_id = exam.to_owned();
        opts.session_id = Some(session_id.clone());
        opts.seed = index as u64 + 1;
        opts.events = recording.events;
        opts.blobs = recording.blobs;
        opts.blob_size = recording.blob_size;
        opts.checkpoint_every = recording.checkpoint_every;
        opts.clock_jump = false;
        simulate(&full, &opts).map_err(|e| LoadError::Simulate(e.to_string()))?;
        let log_path = full.join(FileKind::Log.file_name());
        let log = fs::read(&log_path).map_err(|e| io("cannot read", &log_path, e))?;
        let frame_ends: Vec<u64> = parse_all(&log, FileKind::Log)
            .0
            .iter()
            .map(|f| f.end())
            .collect();
        let live = work.join("live").join(&session_id);
        copy_dir(&full, &live)?;
        let mut candidate = Self {
            session_id,
            log,
            frame_ends,
            revealed: 0,
            live,
            tokens,
            server: index,
            done: false,
        };
        let header_end = candidate.end_of(1);
        let live_log = candidate.live.join(FileKind::Log.file_name());
        fs::write(&live_log, &candidate.log[..header_end])
            .map_err(|e| io("cannot write", &live_log, e))?;
        candidate.revealed = 1;
        Ok(candidate)
    }

    /// Records in the whole session.
    pub(crate) fn records(&self) -> u64 {
        self.frame_ends.len() as u64
    }

    fn end_of(&self, records: usize) -> usize {
        records
            .checked_sub(1)
            .and_then(|i| self.frame_ends.get(i))
            .map_or(0, |e| usize::try_from(*e).unwrap_or(usize::MAX))
    }

    /// Appends to the live log what was recorded up to `fraction` (0 to 1)
    /// of the exam, as a running engine does.
    pub(crate) fn reveal(&mut self, fraction: f64) -> Result<(), LoadError> {
        let total = self.frame_ends.len();
        let upto = ((fraction.clamp(0.0, 1.0) * total as f64).ceil() as usize).clamp(1, total);
        if upto <= self.revealed {
            return Ok(());
        }
        let (from, to) = (self.end_of(self.revealed), self.end_of(upto));
        let path = self.live.join(FileKind::Log.file_name());
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&self.log[from..to]))
            .map_err(|e| io("cannot append to", &path, e))?;
        self.revealed = upto;
        Ok(())
    }

    /// Whether every record is revealed.
    pub(crate) fn all_revealed(&self) -> bool {
        self.revealed == self.frame_ends.len()
    }
}
