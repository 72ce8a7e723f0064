//! The sync agent: what keeps the app's promises after the exam. Each
//! session that starts with a backend stores its **upload context** (the
//! backend, the token file, the backend's key if pinned, the policy's
//! retention) beside it; later, with nobody to tell it anything,
//! [`sync_all`] walks every tenant's sessions, uploads what the backend
//! lacks, and deletes a local copy once a verified receipt covers all of it
//! and the policy's keep period is over.
//!
//! ```text
//! DATA/tenants/<tenant>/sessions/<session-id>/   the session (verify reads only this)
//! DATA/tenants/<tenant>/upload/<session-id>.json  its upload context (0600)
//! ```
//!
//! The context lives outside the session directory: `paraakh verify`
//! reports any file it does not know there. A session without a context is
//! never deleted; a session a process is writing (it holds the directory's
//! lock) is not touched at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use paraakh_evidence::keys::{NoteVerifier, create_private_dir, write_private};
use paraakh_evidence::layout;
use paraakh_policy::model::Retention;
use paraakh_policy::tenants::{DataRoot, TenantDir};

use crate::SyncError;
use crate::client::{Api, Credentials, RetryPolicy};
use crate::outbox::Outbox;
use crate::retention::{self, Decision};
use crate::upload::{SyncOptions, SyncReport, sync_session};

/// The directory, beside a tenant's `sessions`, that holds the upload contexts.
pub const CONTEXT_DIR: &str = "upload";
/// What the first line of a context file's JSON says it is.
const CONTEXT_FORMAT: &str = "paraakh-upload-context/v1";
const DAY_SECS: u64 = 86_400;

/// How a session is to be uploaded and kept: what the agent needs to know
/// and nobody will be there to tell it.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadContext {
    /// The tenant's backend (`http://` or `https://`).
    pub server: String,
    /// The upload token file (renewed tokens are written back to it).
    pub tokens: PathBuf,
    /// The backend's cosigning key, when the installation pins one.
    pub backend_key: Option<NoteVerifier>,
    /// The policy's retention: how long the local copy stays after the
    /// receipt, and when an unsent session is reported.
    pub retention: Retention,
}

/// The context as stored (strict: unknown fields are refused).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    format: String,
    session_id: String,
    server: String,
    tokens: PathBuf,
    backend_key: Option<String>,
    keep_after_receipt_days: u32,
    alert_unsynced_after_days: u32,
}

fn session_err(path: &Path, message: impl Into<String>) -> SyncError {
    SyncError::Session {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Where the context of the session in `session_dir`
/// (`…/tenants/<tenant>/sessions/<id>`) is kept: `…/tenants/<tenant>/upload/<id>.json`.
pub fn context_path(session_dir: &Path) -> Result<PathBuf, SyncError> {
    let dir = std::path::absolute(session_dir).map_err(|error| SyncError::Io {
        what: "cannot resolve",
        path: session_dir.to_owned(),
        error,
    })?;
    let id = dir
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| layout::valid_id(n));
    let tenant = dir
        .parent()
        .filter(|p| p.file_name() == Some("sessions".as_ref()))
        .and_then(Path::parent);
    match (id, tenant) {
        (Some(id), Some(tenant)) => Ok(tenant.join(CONTEXT_DIR).join(format!("{id}.json"))),
        _ => Err(session_err(
            session_dir,
            "is not a session in a data directory (DATA/tenants/<tenant>/sessions/<id>): `paraakh sync --all` would not find its upload details",
        )),
    }
}

/// Stores how the session in `session_dir` is uploaded and kept, owner-only
/// (0600), so that [`sync_all`] can finish the job later. Called when a
/// session starts with a backend (the app's `start_exam`, `paraakh session
/// run --server`). A relative token path is made absolute. Returns where
/// the context was written.
pub fn remember(session_dir: &Path, context: &UploadContext) -> Result<PathBuf, SyncError> {
    let path = context_path(session_dir)?;
    let server = context.server.trim_end_matches('/');
    if !(server.starts_with("https://") || server.starts_with("http://")) {
        return Err(SyncError::Protocol {
            what: "the server address".into(),
            message: format!("{server:?} is not an http:// or https:// URL"),
        });
    }
    let tokens = std::path::absolute(&context.tokens).map_err(|error| SyncError::Io {
        what: "cannot resolve",
        path: context.tokens.clone(),
        error,
    })?;
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let file = ContextFile {
        format: CONTEXT_FORMAT.into(),
        session_id: id,
        server: server.to_owned(),
        tokens,
        backend_key: context.backend_key.as_ref().map(NoteVerifier::encode),
        keep_after_receipt_days: context.retention.keep_after_receipt_days,
        alert_unsynced_after_days: context.retention.alert_unsynced_after_days,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| SyncError::Session {
        path: path.clone(),
        message: format!("the upload details cannot be written: {e}"),
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(session_err(
            dir,
            "is a symbolic link: upload details are not written through it",
        ));
    }
    create_private_dir(dir).map_err(|error| SyncError::Io {
        what: "cannot create",
        path: dir.to_owned(),
        error,
    })?;
    write_private(&path, &json).map_err(|error| SyncError::Io {
        what: "cannot write",
        path: path.clone(),
        error,
    })?;
    Ok(path)
}

/// The context stored for the session in `session_dir` (`None`: none was).
pub fn recall(session_dir: &Path) -> Result<Option<UploadContext>, SyncError> {
    let path = context_path(session_dir)?;
    for p in [path.parent().unwrap_or(Path::new(".")), path.as_path()] {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(session_err(
                    p,
                    "is a symbolic link: upload details are not read through it",
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(SyncError::Io {
                    what: "cannot read",
                    path: p.to_owned(),
                    error,
                });
            }
        }
    }
    let bytes = std::fs::read(&path).map_err(|error| SyncError::Io {
        what: "cannot read",
        path: path.clone(),
        error,
    })?;
    let damaged =
        |why: String| session_err(&path, format!("the upload details are damaged: {why}"));
    let file: ContextFile = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
    if file.format != CONTEXT_FORMAT {
        return Err(damaged(format!("unknown format {:?}", file.format)));
    }
    if path.file_stem().and_then(|s| s.to_str()) != Some(file.session_id.as_str()) {
        return Err(damaged(format!(
            "they are for session {:?}",
            file.session_id
        )));
    }
    let backend_key = file
        .backend_key
        .as_deref()
        .map(NoteVerifier::parse)
        .transpose()
        .map_err(|e| damaged(format!("the backend key: {e}")))?;
    Ok(Some(UploadContext {
        server: file.server,
        tokens: file.tokens,
        backend_key,
        retention: Retention {
            keep_after_receipt_days: file.keep_after_receipt_days,
            alert_unsynced_after_days: file.alert_unsynced_after_days,
        },
    }))
}

/// Removes the stored context of the session in `session_dir` (after the
/// session was deleted); nothing stored is not an error.
pub fn forget(session_dir: &Path) -> Result<(), SyncError> {
    let path = context_path(session_dir)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(SyncError::Io {
            what: "cannot remove",
            path,
            error,
        }),
    }
}

/// How the agent works.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Sizes of the upload (its `backend_key` is ignored: each session's
    /// context or header names it).
    pub sync: SyncOptions,
    /// How long to keep trying a backend that does not answer. A backend
    /// found unreachable is not tried again for the other sessions of the same run.
    pub retry: RetryPolicy,
    /// The time retention is decided at, POSIX seconds; `None`: now.
    pub now: Option<u64>,
    /// Leave sessions that have not ended alone: the app, which may resume
    /// them, uploads them itself (and two uploaders would race for one
    /// token's renewal).
    pub leave_unended: bool,
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self {
            sync: SyncOptions::default(),
            retry: RetryPolicy {
                give_up_after: Duration::from_secs(60),
                ..RetryPolicy::default()
            },
            now: None,
            leave_unended: false,
        }
    }
}

/// Where a session stands after the agent's pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The backend holds all of it under a verified receipt; the local copy
    /// stays (for example the session has not ended).
    Sent,
    /// Something is not on the backend yet (see [`Wait`]); the local copy stays.
    Waiting,
    /// The backend holds all of it and the keep period is over: deleted here.
    Purged,
    /// The backend holds all of it; kept here until `delete_after`, then deleted.
    Kept,
}

/// Why a session waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Wait {
    /// A process is writing it (the exam is running): it uploads itself.
    BeingRecorded,
    /// No upload context was stored with it: it started without a backend.
    NoUploadDetails,
    /// Its upload context or token file cannot be used.
    BadUploadDetails,
    /// The backend could not be reached.
    Offline,
    /// The backend does not accept the upload token (and it could not be renewed).
    TokenRefused,
    /// The backend refused the upload (for example the link was revoked).
    Refused,
    /// The directory cannot be read as a session (or names another tenant or session).
    Unreadable,
    /// No checkpoint signs any of it yet: nothing can be sent.
    NotSigned,
    /// The backend does not hold all of it yet.
    NotComplete,
    /// Something else went wrong (the backend's answer, a receipt, the deletion).
    Failed,
}

impl Wait {
    /// In a few words, for people (`offline`, `no upload details`, …).
    pub fn words(self) -> &'static str {
        match self {
            Self::BeingRecorded => "being recorded",
            Self::NoUploadDetails => "no upload details",
            Self::BadUploadDetails => "upload details unusable",
            Self::Offline => "offline",
            Self::TokenRefused => "token refused",
            Self::Refused => "refused by the backend",
            Self::Unreadable => "unreadable",
            Self::NotSigned => "nothing signed yet",
            Self::NotComplete => "not complete",
            Self::Failed => "failed",
        }
    }
}

/// What the agent did with one session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionOutcome {
    /// The tenant.
    pub tenant: String,
    /// The session; `None` when the tenant's directory itself could not be read.
    pub session_id: Option<String>,
    /// The session directory (or the tenant's).
    pub dir: PathBuf,
    /// Where it stands.
    pub state: State,
    /// Why it waits (with [`State::Waiting`]).
    pub waiting_for: Option<Wait>,
    /// In plain words.
    pub reason: String,
    /// With [`State::Kept`]: the UTC date (YYYY-MM-DD) from which it is deleted.
    pub delete_after: Option<String>,
    /// It has waited for a sync longer than the policy allows: tell the proctor.
    pub alert: bool,
    /// The upload, when one was made.
    pub report: Option<SyncReport>,
}

impl SessionOutcome {
    fn new(tenant: &str, session: Option<&str>, dir: &Path) -> Self {
        Self {
            tenant: tenant.to_owned(),
            session_id: session.map(str::to_owned),
            dir: dir.to_owned(),
            state: State::Waiting,
            waiting_for: None,
            reason: String::new(),
            delete_after: None,
            alert: false,
            report: None,
        }
    }

    fn waiting(mut self, why: Wait, reason: impl Into<String>) -> Self {
        self.state = State::Waiting;
        self.waiting_for = Some(why);
        self.reason = reason.into();
        self
    }

    fn done(mut self, state: State, reason: impl Into<String>) -> Self {
        self.state = state;
        self.waiting_for = None;
        self.reason = reason.into();
        self
    }
}

/// A POSIX time as its UTC date, `YYYY-MM-DD`.
pub fn utc_date(secs: u64) -> String {
    // Days to civil date (Howard Hinnant's algorithm), for days since 1970.
    let z = (secs / DAY_SECS) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether a process holds the session directory's lock (the writer holds
/// it for as long as the session is open). The probe takes a shared lock
/// and lets go at once: a writer starting meanwhile waits for it.
pub fn being_written(session_dir: &Path) -> bool {
    let Ok(file) = std::fs::File::open(session_dir.join(layout::LOCK)) else {
        // No lock file: no writer ever opened it.
        return false;
    };
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockShared).is_err()
}

/// Uploads and applies retention to every session of every tenant under
/// `data_dir` (the installation's data directory: `DATA/tenants/<tenant>/sessions/<id>`),
/// one session after another, and says what became of each (also to
/// `on_outcome` as it goes). Blocking and network-bound: the app calls it on
/// a background thread. A session is never deleted unless its context was
/// stored, a receipt verified under the backend key covers all of it, the
/// backend has just confirmed it holds every blob, and the keep period is
/// over; a session a process is writing is left alone. Errors only when the
/// data directory's list of tenants cannot be read.
pub fn sync_all(
    data_dir: &Path,
    options: &AgentOptions,
    on_outcome: &mut dyn FnMut(&SessionOutcome),
) -> Result<Vec<SessionOutcome>, SyncError> {
    let tenants_dir = data_dir.join("tenants");
    let entries = match std::fs::read_dir(&tenants_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(SyncError::Io {
                what: "cannot list the tenants in",
                path: tenants_dir,
                error,
            });
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| SyncError::Io {
            what: "cannot list the tenants in",
            path: tenants_dir.clone(),
            error,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Directories, and symlinks (reported below: they are refused).
        let listed = entry.file_type().is_ok_and(|t| !t.is_file());
        if listed && layout::valid_id(&name) {
            names.push(name);
        }
    }
    names.sort();
    let root = DataRoot::new(data_dir);
    let now = options.now.unwrap_or_else(now_secs);
    let mut agent = Agent {
        options,
        now,
        unreachable: BTreeMap::new(),
    };
    let mut out = Vec::new();
    let mut emit = |o: SessionOutcome, out: &mut Vec<SessionOutcome>| {
        on_outcome(&o);
        out.push(o);
    };
    for name in names {
        let tenant_path = tenants_dir.join(&name);
        let unreadable = |e: &dyn std::fmt::Display| {
            SessionOutcome::new(&name, None, &tenant_path).waiting(
                Wait::Unreadable,
                format!("the tenant's directory cannot be read, its sessions wait: {e}"),
            )
        };
        let tenant = match root.tenant(&name) {
            Ok(t) => t,
            Err(e) => {
                emit(unreadable(&e), &mut out);
                continue;
            }
        };
        let sessions = match tenant.sessions() {
            Ok(s) => s,
            Err(e) => {
                emit(unreadable(&e), &mut out);
                continue;
            }
        };
        for id in sessions {
            let o = agent.session(&tenant, &id);
            emit(o, &mut out);
        }
    }
    Ok(out)
}

struct Agent<'a> {
    options: &'a AgentOptions,
    now: u64,
    /// Backends that did not answer in this run, with the last failure.
    unreachable: BTreeMap<String, String>,
}

impl Agent<'_> {
    fn session(&mut self, tenant: &TenantDir, id: &str) -> SessionOutcome {
        let dir = match tenant.session_dir(id) {
            Ok(d) => d,
            Err(e) => {
                return SessionOutcome::new(tenant.tenant(), Some(id), tenant.path())
                    .waiting(Wait::Unreadable, e.to_string());
            }
        };
        let o = SessionOutcome::new(tenant.tenant(), Some(id), &dir);
        if being_written(&dir) {
            return o.waiting(
                Wait::BeingRecorded,
                "it is being recorded now (a process holds its lock): that process uploads it; it is left alone",
            );
        }
        let context = match recall(&dir) {
            Ok(Some(c)) => c,
            Ok(None) => {
                return o.waiting(
                    Wait::NoUploadDetails,
                    "it started without a backend, so nothing here knows where to send it; it is never deleted (send it with `paraakh sync DIR --server URL --tokens FILE`)",
                );
            }
            Err(e) => return o.waiting(Wait::BadUploadDetails, e.to_string()),
        };
        let outbox = match Outbox::open(&dir) {
            Ok(b) => b,
            Err(e) => return o.waiting(Wait::Unreadable, e.to_string()),
        };
        if self.options.leave_unended && !outbox.ended() {
            return o.waiting(
                Wait::BeingRecorded,
                "it has not ended: the app resumes it and sends it itself",
            );
        }
        let header = outbox.header();
        if header.tenant_id != tenant.tenant() || header.session_id != id {
            return o.waiting(
                Wait::Unreadable,
                format!(
                    "its header names session {:?} of tenant {:?}: it is not sent from here",
                    header.session_id, header.tenant_id
                ),
            );
        }
        let age_days = self.now.saturating_sub(outbox.last_record_secs()) / DAY_SECS;
        let overdue = age_days >= u64::from(context.retention.alert_unsynced_after_days);
        drop(outbox);
        let mut o = self.upload(o, &dir, &context);
        if o.state == State::Waiting && overdue {
            o.alert = true;
            o.reason.push_str(&format!(
                " (waiting {age_days} days, longer than the policy's {}: tell the proctor)",
                context.retention.alert_unsynced_after_days
            ));
        }
        o
    }

    fn upload(&mut self, o: SessionOutcome, dir: &Path, context: &UploadContext) -> SessionOutcome {
        let server = context.server.as_str();
        if let Some(message) = self.unreachable.get(server) {
            return o.waiting(
                Wait::Offline,
                format!("{server} could not be reached earlier in this run ({message})"),
            );
        }
        let api = match Credentials::from_file(&context.tokens)
            .and_then(|c| Api::new(server, c, self.options.retry))
        {
            Ok(api) => api,
            Err(e) => return o.waiting(Wait::BadUploadDetails, e.to_string()),
        };
        let opts = SyncOptions {
            backend_key: context.backend_key.clone(),
            ..self.options.sync.clone()
        };
        let report = match sync_session(&api, dir, &opts, &mut |_| {}) {
            Ok(r) => r,
            Err(e) => {
                let (why, reason) = match &e {
                    SyncError::Unreachable { message } => {
                        self.unreachable.insert(server.to_owned(), message.clone());
                        (
                            Wait::Offline,
                            format!("{server} could not be reached ({message})"),
                        )
                    }
                    SyncError::Unauthorized(_) => (Wait::TokenRefused, e.to_string()),
                    SyncError::Refused { .. } => (Wait::Refused, e.to_string()),
                    SyncError::Session { .. } => (Wait::Unreadable, e.to_string()),
                    _ => (Wait::Failed, e.to_string()),
                };
                return o.waiting(why, reason);
            }
        };
        let mut o = o;
        o.report = Some(report.clone());
        if !report.complete {
            return if report.sendable_records == 0 {
                o.waiting(
                    Wait::NotSigned,
                    "nothing is signed yet (no checkpoint): nothing can be sent until the session is resumed",
                )
            } else {
                o.waiting(
                    Wait::NotComplete,
                    format!(
                        "the backend's receipt covers {} of {} signed records, or it lacks blobs: the next run continues",
                        report.cosigned_size, report.sendable_records
                    ),
                )
            };
        }
        let backend = match NoteVerifier::parse(&report.backend_key) {
            Ok(k) => k,
            Err(e) => return o.waiting(Wait::Failed, format!("the backend key: {e}")),
        };
        let decision = match retention::decide(dir, &context.retention, &backend, true, self.now) {
            Ok(d) => d,
            Err(e) => return o.waiting(Wait::Failed, e.to_string()),
        };
        match decision {
            Decision::Purge { reason } => match retention::purge(dir) {
                Ok(()) => {
                    let mut o = o.done(State::Purged, reason);
                    if let Err(e) = forget(dir) {
                        o.reason
                            .push_str(&format!(" (its upload details stay: {e})"));
                    }
                    o
                }
                Err(SyncError::Session { message, .. }) if being_written(dir) => {
                    o.waiting(Wait::BeingRecorded, message)
                }
                Err(e) => o.waiting(Wait::Failed, format!("it could not be deleted: {e}")),
            },
            Decision::Keep {
                reason,
                delete_after: Some(at),
                ..
            } => {
                let date = utc_date(at);
                let mut o = o.done(
                    State::Kept,
                    format!("the backend holds all of it; {reason}, deleted here on or after {date} (UTC)"),
                );
                o.delete_after = Some(date);
                o
            }
            Decision::Keep { reason, .. } => o.done(
                State::Sent,
                format!("the backend holds everything signed; kept here: {reason}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
