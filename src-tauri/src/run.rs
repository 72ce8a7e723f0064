//! The running exam: the engine's session, a thread that forwards its
//! events to the window, and what the commands wait for (an answer made
//! durable, the submission, the last upload).

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use paraakh_engine::session::{Command, EngineEvent, Session, SessionSummary};
use serde::Serialize;

/// Where the evidence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SyncState {
    /// The backend cosigned every record.
    Synced,
    /// Uploading (or waiting to retry).
    Pending,
    /// Kept on this computer until `paraakh sync` or the next launch online.
    Offline,
}

/// What the receipt screen polls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SyncStatus {
    pub(crate) synced: SyncState,
    pub(crate) cosigned_size: u64,
    pub(crate) records: u64,
    pub(crate) message: String,
    /// When this computer deletes its copy (a UTC date), once the backend
    /// has confirmed everything (the tenant's retention).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) delete_after: Option<String>,
}

#[derive(Debug, Default)]
struct Seen {
    /// Last saved record per question.
    saved: BTreeMap<String, u64>,
    /// A refused command's message, by the order it came in.
    troubles: Vec<String>,
    submitted: Option<(u64, usize)>,
    cosigned_size: u64,
    records: u64,
    summary: Option<SessionSummary>,
    failed: Option<String>,
    /// Why uploading stopped for now, as the session recorded it.
    upload_interrupted: Option<String>,
}

/// The shared view of one running session.
#[derive(Debug)]
pub(crate) struct ExamRun {
    commands: Mutex<Sender<Command>>,
    seen: Mutex<Seen>,
    changed: Condvar,
    online: bool,
}

/// What the candidate is told of a session not yet sent (the sync agent
/// keeps this promise: `paraakh_sync::agent`).
const SENT_LATER: &str = "It is sent by itself the next time this computer is online and Paraakh starts (or its sync service runs); nothing else is needed from you.";

/// How long a command waits for the engine before saying so.
const ENGINE_PATIENCE: Duration = Duration::from_secs(10);

impl ExamRun {
    /// Starts forwarding `session`'s events to `emit` on a thread of its own.
    pub(crate) fn start(
        session: Session,
        online: bool,
        emit: impl Fn(&EngineEvent) + Send + 'static,
    ) -> std::io::Result<Arc<Self>> {
        let run = Arc::new(Self {
            commands: Mutex::new(session.commander()),
            seen: Mutex::new(Seen::default()),
            changed: Condvar::new(),
            online,
        });
        let pump = Arc::clone(&run);
        std::thread::Builder::new()
            .name("paraakh-app-events".into())
            .spawn(move || {
                while !session.is_over() {
                    if let Some(e) = session.next_event(Duration::from_millis(200)) {
                        pump.note(&e);
                        emit(&e);
                    }
                }
                // Events still queued after the end.
                while let Some(e) = session.next_event(Duration::ZERO) {
                    pump.note(&e);
                    emit(&e);
                }
                let result = session.wait();
                let mut seen = pump.lock();
                match result {
                    Ok(summary) => {
                        seen.cosigned_size = seen.cosigned_size.max(summary.cosigned_size);
                        seen.records = summary.records;
                        seen.summary = Some(summary);
                    }
                    Err(e) => seen.failed = Some(e.to_string()),
                }
                drop(seen);
                pump.changed.notify_all();
            })?;
        Ok(run)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note(&self, e: &EngineEvent) {
        let mut seen = self.lock();
        match e {
            EngineEvent::AnswerSaved { question, seq } => {
                seen.saved.insert(question.clone(), *seq);
            }
            EngineEvent::Submitted { seq, answers, .. } => seen.submitted = Some((*seq, *answers)),
            EngineEvent::Uploaded { cosigned_size } => {
                seen.cosigned_size = seen.cosigned_size.max(*cosigned_size);
            }
            EngineEvent::Trouble { monitor, message } if monitor == "answers" => {
                seen.troubles.push(message.clone());
            }
            EngineEvent::Ended { records, .. } => seen.records = *records,
            EngineEvent::Recorded { kind, message, .. } if kind == "upload_interrupted" => {
                seen.upload_interrupted = Some(
                    message
                        .split_once(": ")
                        .map_or_else(|| message.clone(), |(_, why)| why.to_owned()),
                );
            }
            _ => {}
        }
        drop(seen);
        self.changed.notify_all();
    }

    /// Sends a command to the session.
    pub(crate) fn send(&self, command: Command) -> Result<(), String> {
        self.commands
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(command)
            .map_err(|_| "the exam session has ended".to_owned())
    }

    /// Waits until `done` holds, or says why not.
    fn wait_for<T>(&self, mut done: impl FnMut(&Seen) -> Option<T>) -> Result<T, String> {
        let deadline = Instant::now() + ENGINE_PATIENCE;
        let mut seen = self.lock();
        loop {
            if let Some(v) = done(&seen) {
                return Ok(v);
            }
            if let Some(e) = &seen.failed {
                return Err(format!("the exam session stopped: {e}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("the exam session did not answer in time; your answer is still on screen, try again".into());
            }
            seen = self
                .changed
                .wait_timeout(seen, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Saves an answer and returns once it is durable in the evidence log.
    pub(crate) fn save_answer(&self, question: &str, answer: Vec<u8>) -> Result<u64, String> {
        let (before, troubles) = {
            let seen = self.lock();
            (seen.saved.get(question).copied(), seen.troubles.len())
        };
        self.send(Command::SaveAnswer {
            question: question.to_owned(),
            answer,
        })?;
        self.wait_for(|seen| {
            if let Some(t) = seen.troubles.get(troubles) {
                return Some(Err(t.clone()));
            }
            match seen.saved.get(question) {
                Some(&seq) if Some(seq) != before => Some(Ok(seq)),
                _ => None,
            }
        })?
    }

    /// Submits, then ends the session (sealed by its final checkpoint).
    /// Returns the submission record and the number of answers.
    pub(crate) fn submit(&self) -> Result<(u64, usize), String> {
        if let Some(done) = self.lock().submitted {
            return Ok(done);
        }
        self.send(Command::Submit)?;
        let done = self.wait_for(|seen| seen.submitted)?;
        self.send(Command::End {
            reason: "submitted".into(),
        })?;
        Ok(done)
    }

    /// The submission, if there was one (by the candidate or by the policy).
    pub(crate) fn submitted(&self) -> Option<(u64, usize)> {
        self.lock().submitted
    }

    /// The session is over and its last upload has finished.
    pub(crate) fn is_finished(&self) -> bool {
        let seen = self.lock();
        seen.summary.is_some() || seen.failed.is_some()
    }

    /// Where the evidence stands.
    /// Where sending stands, and when this computer deletes its copy
    /// (`keep_days` after the confirmation, the tenant's retention).
    pub(crate) fn sync_status(&self, tenant_name: &str, keep_days: u32) -> SyncStatus {
        let seen = self.lock();
        let records = seen.records;
        let cosigned = seen.cosigned_size;
        let mut delete_after = None;
        let (synced, message) = if records > 0 && cosigned >= records {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let date = paraakh_sync::agent::utc_date(now + u64::from(keep_days) * 86_400);
            let when = if keep_days == 0 {
                "the next time Paraakh starts or syncs".to_owned()
            } else {
                format!("on {date} (UTC)")
            };
            delete_after = Some(date);
            (
                SyncState::Synced,
                format!(
                    "Everything reached {tenant_name} and was confirmed. This computer deletes its copy {when}, as {tenant_name}'s rules say."
                ),
            )
        } else if !self.online {
            (
                SyncState::Offline,
                format!("Saved safely on this computer. {SENT_LATER}"),
            )
        } else if let Some(e) = seen
            .summary
            .as_ref()
            .and_then(|s| s.upload_error.as_ref())
            .or(seen.upload_interrupted.as_ref())
        {
            (
                SyncState::Offline,
                format!(
                    "Saved safely on this computer; sending to {tenant_name} did not finish ({e}). {SENT_LATER}"
                ),
            )
        } else {
            (SyncState::Pending, format!("Sending to {tenant_name}…"))
        };
        SyncStatus {
            synced,
            cosigned_size: cosigned,
            records,
            message,
            delete_after,
        }
    }
}
