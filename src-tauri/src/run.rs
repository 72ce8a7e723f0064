//! The running exam: the engine's session, a thread that forwards its
//! events to the window, and what the commands wait for (an answer made
//! durable, the submission, the last upload).

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    online: bool,
}

/// What the candidate is told of a session not yet sent (the sync agent
/// keeps this promise: `paraakh_sync::agent`).
const SENT_LATER: &str = "It is sent by itself the next time this computer is online and Paraakh starts (or its sync service runs); nothing else is needed from you.";

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
            EngineEvent::Submitted { seq, answers, .. } => seen.submitted = Some((*seq, *answers)),
            EngineEvent::Uploaded { cosigned_size } => {
                seen.cosigned_size = seen.cosigned_size.max(*cosigned_size);
            }
            EngineEvent::Ended { records, .. } => seen.records = *records,
            EngineEvent::Recorded { kind, message, .. }
                if paraakh_engine::session::EventKind::UploadInterrupted == kind.as_str() =>
            {
                seen.upload_interrupted = Some(
                    message
                        .split_once(": ")
                        .map_or_else(|| message.clone(), |(_, why)| why.to_owned()),
                );
            }
            _ => {}
        }
    }

    /// Sends a command to the session.
    pub(crate) fn send(&self, command: Command) -> Result<(), String> {
        self.commands
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(command)
            .map_err(|_| "the exam session has ended".to_owned())
    }

    fn commands(&self) -> Sender<Command> {
        self.commands
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Saves an answer and returns once it is durable in the evidence log
    /// (the session's own reply: never confused with another save).
    pub(crate) fn save_answer(
        &self,
        question: &str,
        answer: Vec<u8>,
        typing: Option<paraakh_engine::session::TypingSample>,
    ) -> Result<u64, String> {
        paraakh_engine::session::save_typed_answer(&self.commands(), question, answer, typing)
            .map_err(|e| self.stopped_or(e))
    }

    /// Submits, then ends the session (sealed by its final checkpoint).
    /// Returns the submission record and the number of answers.
    pub(crate) fn submit(&self) -> Result<(u64, usize), String> {
        if let Some(done) = self.lock().submitted {
            return Ok(done);
        }
        let done = match paraakh_engine::session::submit(&self.commands()) {
            Ok(s) => (s.seq, s.answers),
            // Submitted by the policy meanwhile: that submission stands.
            Err(e) => self.lock().submitted.ok_or_else(|| self.stopped_or(e))?,
        };
        self.lock().submitted = Some(done);
        // The session ends after a submission by itself; this only hurries it.
        let _ = self.send(Command::End {
            reason: "submitted".into(),
        });
        Ok(done)
    }

    /// Records a proctor's unlock; the session ends after it.
    pub(crate) fn confirm_held(&self, by: &str) -> Result<(), String> {
        paraakh_engine::session::confirm_held(&self.commands(), by).map_err(|e| self.stopped_or(e))
    }

    pub(crate) fn proctor_unlock(&self, by: &str, reason: &str) -> Result<(), String> {
        paraakh_engine::session::proctor_unlock(&self.commands(), by, reason)
            .map_err(|e| self.stopped_or(e))
    }

    /// Why a command failed, in words: the session's own error if it stopped.
    fn stopped_or(&self, e: paraakh_engine::session::CommandError) -> String {
        match &self.lock().failed {
            Some(failed) => format!("the exam session stopped: {failed}"),
            None => e.to_string(),
        }
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
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let error = seen
            .summary
            .as_ref()
            .and_then(|s| s.upload_error.as_deref())
            .or(seen.upload_interrupted.as_deref());
        sync_status(&Sending {
            records: seen.records,
            cosigned: seen.cosigned_size,
            online: self.online,
            error,
            tenant: tenant_name,
            keep_days,
            now,
        })
    }
}

/// What the receipt is told about sending.
struct Sending<'a> {
    records: u64,
    cosigned: u64,
    /// The session has somewhere to send itself (a server and tokens).
    online: bool,
    /// Why sending stopped for now.
    error: Option<&'a str>,
    tenant: &'a str,
    keep_days: u32,
    /// Unix seconds.
    now: u64,
}

/// The real state, as the candidate reads it: confirmed (and when this
/// computer's copy goes), sent by itself later, or kept here because the
/// exam has nowhere to send it.
fn sync_status(s: &Sending<'_>) -> SyncStatus {
    let tenant = s.tenant;
    let mut delete_after = None;
    let (synced, message) = if s.records > 0 && s.cosigned >= s.records {
        let date = paraakh_sync::agent::utc_date(s.now + u64::from(s.keep_days) * 86_400);
        let when = if s.keep_days == 0 {
            "the next time Paraakh starts or syncs".to_owned()
        } else {
            format!("on {date} (UTC)")
        };
        delete_after = Some(date);
        (
            SyncState::Synced,
            format!(
                // The receipt's own line says it was confirmed; this adds when the copy goes.
                "This computer deletes its copy {when}, as {tenant}'s rules say."
            ),
        )
    } else if !s.online {
        // No server or upload tokens were given with this exam: nothing
        // can send it by itself, and the candidate is not told it will.
        (
            SyncState::Offline,
            "Saved safely on this computer only: this exam came without a server to send it to. Tell your proctor, who collects it from this computer.".to_owned(),
        )
    } else if let Some(e) = s.error {
        (
            SyncState::Offline,
            format!(
                "Saved safely on this computer; sending to {tenant} did not finish ({e}). {SENT_LATER}"
            ),
        )
    } else {
        (SyncState::Pending, format!("Sending to {tenant}…"))
    };
    SyncStatus {
        synced,
        cosigned_size: s.cosigned,
        records: s.records,
        message,
        delete_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sending(online: bool, error: Option<&str>, cosigned: u64, keep_days: u32) -> SyncStatus {
        sync_status(&Sending {
            records: 40,
            cosigned,
            online,
            error,
            tenant: "Demo University",
            keep_days,
            // 2026-12-07 00:00 UTC.
            now: 1_796_601_600,
        })
    }

    #[test]
    fn the_receipt_promises_only_what_will_happen() {
        let done = sending(true, None, 40, 30);
        assert_eq!(done.synced, SyncState::Synced);
        assert_eq!(done.delete_after.as_deref(), Some("2027-01-06"));
        assert!(
            done.message
                .contains("deletes its copy on 2027-01-06 (UTC)"),
            "{}",
            done.message
        );
        assert!(
            sending(true, None, 40, 0)
                .message
                .contains("the next time Paraakh starts")
        );

        let later = sending(true, Some("connection refused"), 12, 30);
        assert_eq!(later.synced, SyncState::Offline);
        assert!(
            later.message.contains("sent by itself"),
            "{}",
            later.message
        );
        assert_eq!(later.delete_after, None);

        // Nowhere to send it: no promise of sending.
        let kept = sending(false, None, 0, 30);
        assert!(!kept.message.contains("sent by itself"), "{}", kept.message);
        assert!(
            kept.message.contains("Tell your proctor"),
            "{}",
            kept.message
        );

        assert_eq!(sending(true, None, 10, 30).synced, SyncState::Pending);
    }
}
