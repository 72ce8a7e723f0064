//! Uploading while the exam runs: after each checkpoint the uploader sends
//! what the backend lacks, and each receipt goes back to the session loop,
//! which records it in the log. Offline is normal: a failed attempt is
//! tried again at the next checkpoint, and whatever is left is sent by
//! `paraakh sync` later.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use paraakh_sync::{Api, Credentials, RetryPolicy, SyncOptions, sync_live_session, sync_session};

use super::Command;
use crate::EngineError;

/// Where and how to upload.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// The tenant's backend.
    pub server: String,
    /// The token file (renewed tokens are written back).
    pub tokens: PathBuf,
}

/// How long one attempt may keep retrying before waiting for the next checkpoint.
const ATTEMPT: Duration = Duration::from_secs(20);

fn api(config: &UploadConfig, give_up: Duration) -> Result<Api, paraakh_sync::SyncError> {
    Api::new(
        &config.server,
        Credentials::from_file(&config.tokens)?,
        RetryPolicy {
            give_up_after: give_up,
            ..RetryPolicy::default()
        },
    )
}

/// The uploader thread.
#[derive(Debug)]
pub(crate) struct Uploader {
    trigger: SyncSender<()>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Uploader {
    pub(crate) fn start(
        dir: PathBuf,
        config: UploadConfig,
        opts: SyncOptions,
        commands: Sender<Command>,
    ) -> Result<Self, EngineError> {
        let (trigger, wake) = std::sync::mpsc::sync_channel::<()>(1);
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("paraakh-uploader".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    if wake.recv_timeout(Duration::from_millis(200)).is_err() {
                        continue;
                    }
                    let result = api(&config, ATTEMPT).and_then(|api| {
                        sync_live_session(&api, &dir, &opts, &mut |note, backend| {
                            let _ = commands.send(Command::Receipt {
                                note: note.clone(),
                                backend: backend.clone(),
                            });
                        })
                    });
                    let _ = commands.send(Command::UploadResult {
                        error: result.err().map(|e| e.to_string()),
                    });
                }
            })
            .map_err(EngineError::start("the uploader"))?;
        Ok(Self {
            trigger,
            stop,
            handle: Some(handle),
        })
    }

    /// Asks for an upload (a checkpoint was just signed); one pending is enough.
    pub(crate) fn wake(&self) {
        if let Err(TrySendError::Disconnected(())) = self.trigger.try_send(()) {
            // The thread is gone; the final sync and `paraakh sync` remain.
        }
    }
}

impl Drop for Uploader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// How long the start waits for the backend's statement before going on
/// without it (the exam never waits on a slow network).
const STATEMENT_PATIENCE: Duration = Duration::from_secs(5);

/// Asks the backend for a statement binding `session` to the device key
/// (a C2SP verifier key), made now.
pub(crate) fn fetch_statement(
    config: &UploadConfig,
    session: &str,
    device: &str,
) -> Result<paraakh_evidence::note::SignedNote, paraakh_sync::SyncError> {
    let api = api(config, STATEMENT_PATIENCE)?;
    paraakh_sync::join::statement(&api, session, device)
}

/// After the end: one last upload so the final checkpoint is cosigned too
/// (its receipt goes into `receipts`). Returns the size the newest receipt
/// covers, or why it could not be sent.
pub(crate) fn final_upload(
    dir: &std::path::Path,
    config: &UploadConfig,
    opts: &SyncOptions,
) -> Result<paraakh_sync::SyncReport, paraakh_sync::SyncError> {
    let api = api(config, ATTEMPT)?;
    sync_session(&api, dir, opts, &mut |_| {})
}
