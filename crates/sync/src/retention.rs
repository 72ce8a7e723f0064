//! Retention: local evidence is deleted only when the backend holds all of
//! it — every signed record under a receipt, every blob confirmed — and
//! the tenant's policy says how long to keep it after that. A session that
//! is not fully synced is never deleted; after the policy's alert delay it
//! is reported, so a proctor can act.

use std::path::Path;

use paraakh_evidence::keys::NoteVerifier;
use paraakh_policy::model::Retention;

use crate::SyncError;
use crate::outbox::Outbox;

const DAY_SECS: u64 = 86_400;

/// What to do with a local session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Decision {
    /// Delete it: the backend holds everything, and the keep period is over.
    Purge {
        /// Why.
        reason: String,
    },
    /// Keep it.
    Keep {
        /// Why.
        reason: String,
        /// The session has waited for a sync longer than the policy allows.
        alert: bool,
        /// When only the keep period holds it: from this time on (POSIX
        /// seconds) it is deleted.
        #[serde(skip_serializing_if = "Option::is_none")]
        delete_after: Option<u64>,
    },
}

/// Decides for the session in `dir`. `server_complete` is the server's own
/// word from a sync just made (records cosigned, blobs held); `now` is POSIX
/// seconds.
pub fn decide(
    dir: &Path,
    retention: &Retention,
    backend: &NoteVerifier,
    server_complete: bool,
    now: u64,
) -> Result<Decision, SyncError> {
    let outbox = Outbox::open(dir)?;
    let records = outbox.records().len() as u64;
    let receipt = outbox.newest_receipt_time(backend);
    let age_days = |since: u64| now.saturating_sub(since) / DAY_SECS;
    let recorded_at = outbox.last_record_secs();
    let alert = age_days(recorded_at) >= u64::from(retention.alert_unsynced_after_days);
    let keep = |reason: String| Decision::Keep {
        reason,
        alert,
        delete_after: None,
    };
    if !outbox.ended() {
        return Ok(keep("the session has not ended".into()));
    }
    if outbox.sendable() < records {
        return Ok(keep(format!(
            "{} records are not covered by a checkpoint",
            records - outbox.sendable()
        )));
    }
    let Some((size, cosigned_at)) = receipt else {
        return Ok(keep("no receipt from the backend yet".into()));
    };
    if size < records {
        return Ok(keep(format!(
            "the newest receipt covers {size} of {records} records"
        )));
    }
    if !server_complete {
        return Ok(keep(
            "the backend has not confirmed that it holds every blob".into(),
        ));
    }
    let keep_days = u64::from(retention.keep_after_receipt_days);
    let held = age_days(cosigned_at);
    if held < keep_days {
        return Ok(Decision::Keep {
            reason: format!(
                "kept {keep_days} days after the receipt by the tenant's policy ({held} passed)"
            ),
            alert: false,
            delete_after: Some(cosigned_at.saturating_add(keep_days.saturating_mul(DAY_SECS))),
        });
    }
    Ok(Decision::Purge {
        reason: format!(
            "the backend holds everything under a receipt of {} days ago; the policy keeps {keep_days} days",
            held
        ),
    })
}

/// What a session directory being deleted is renamed to end with.
const DELETING: &str = "#deleting";

/// Finishes deletions a crash or power cut interrupted in `sessions`.
fn remove_interrupted(sessions: &Path) {
    let Ok(entries) = std::fs::read_dir(sessions) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().ends_with(DELETING)
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Deletes the session directory, unless a process is writing it.
pub fn purge(dir: &Path) -> Result<(), SyncError> {
    let lock_path = dir.join(paraakh_evidence::layout::LOCK);
    if !dir.join(paraakh_evidence::layout::LOG).is_file() {
        return Err(SyncError::Session {
            path: dir.to_owned(),
            message: "not a session directory (it has no evidence log); it is not deleted".into(),
        });
    }
    // A session copied without its (empty) lock file gets one: the lock is
    // what keeps a writer that opens the session meanwhile out.
    let lock = paraakh_evidence::keys::private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|error| SyncError::Io {
            what: "cannot open",
            path: lock_path.clone(),
            error,
        })?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
        |_| SyncError::Session {
            path: dir.to_owned(),
            message: "a process is writing this session; it is not deleted".into(),
        },
    )?;
    // Renamed first (at once, atomically) to a name no listing takes for a
    // session: a power cut during the deletion leaves no half session.
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let doomed = dir.with_file_name(format!("{name}{DELETING}"));
    std::fs::rename(dir, &doomed).map_err(|error| SyncError::Io {
        what: "cannot delete",
        path: dir.to_owned(),
        error,
    })?;
    drop(lock);
    std::fs::remove_dir_all(&doomed).map_err(|error| SyncError::Io {
        what: "cannot delete",
        path: doomed.clone(),
        error,
    })?;
    remove_interrupted(dir.parent().unwrap_or(Path::new(".")));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use paraakh_evidence::TenantSecretKey;
    use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_COSIGNATURE_V1};
    use paraakh_evidence::simulate::{SimulateOptions, simulate};

    /// A deletion a power cut interrupted leaves no session behind, and the
    /// next deletion finishes it.
    #[test]
    fn an_interrupted_deletion_is_finished_by_the_next() {
        let root = tempfile::tempdir().unwrap();
        let half = root.path().join(format!("s-old{DELETING}"));
        std::fs::create_dir_all(half.join("blobs")).unwrap();
        std::fs::write(half.join("log"), b"").unwrap();
        let dir = root.path().join("s-new");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("log"), b"").unwrap();
        purge(&dir).unwrap();
        assert!(!dir.exists() && !half.exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }

    const START_NS: i64 = 1_790_000_000_000_000_000;
    const START: u64 = 1_790_000_000;

    fn retention() -> Retention {
        Retention {
            keep_after_receipt_days: 30,
            alert_unsynced_after_days: 7,
        }
    }

    #[test]
    fn a_session_without_a_receipt_is_kept_and_raises_an_alert_only_when_overdue() {
        let dir = tempfile::tempdir().unwrap();
        let mut opts =
            SimulateOptions::new(TenantSecretKey::generate("t").unwrap().public(), START_NS);
        opts.offline = true;
        opts.events = 30;
        opts.blobs = 1;
        opts.blob_size = (10, 10);
        simulate(dir.path(), &opts).unwrap();
        let backend = NoteSigner::generate("b", SIG_TYPE_COSIGNATURE_V1)
            .unwrap()
            .verifier();
        // Even if a server claimed completeness, without a receipt nothing goes.
        let soon = decide(dir.path(), &retention(), &backend, true, START + 86_400).unwrap();
        assert_eq!(
            soon,
            Decision::Keep {
                reason: "no receipt from the backend yet".into(),
                alert: false,
                delete_after: None,
            }
        );
        let late = decide(dir.path(), &retention(), &backend, true, START + 8 * 86_400).unwrap();
        assert!(
            matches!(late, Decision::Keep { alert: true, .. }),
            "{late:?}"
        );
        assert!(dir.path().join("log").exists());
    }

    #[test]
    fn receipts_of_another_backend_key_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        let mut opts =
            SimulateOptions::new(TenantSecretKey::generate("t").unwrap().public(), START_NS);
        opts.events = 30;
        opts.receipt_lag = 0;
        simulate(dir.path(), &opts).unwrap();
        let stranger = NoteSigner::generate("b", SIG_TYPE_COSIGNATURE_V1)
            .unwrap()
            .verifier();
        let d = decide(
            dir.path(),
            &retention(),
            &stranger,
            true,
            START + 400 * 86_400,
        )
        .unwrap();
        assert!(matches!(d, Decision::Keep { .. }), "{d:?}");
    }

    #[test]
    fn a_session_being_written_is_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("log"), b"").unwrap();
        let lock = std::fs::File::create(dir.path().join(".lock")).unwrap();
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
        // flock locks belong to the open file description: a second open
        // (what purge does) conflicts with this one.
        let err = purge(dir.path()).unwrap_err();
        assert!(err.to_string().contains("a process is writing"), "{err}");
        assert!(dir.path().join("log").exists());
    }
}
