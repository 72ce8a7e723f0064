//! The backend's index: one row per session (to list and filter them for
//! review), and each tenant's access log. Objects (records, blobs,
//! receipts) stay in the object store; the index only says what is there
//! and who looked. A database, so that several replicas can share it:
//! SQLite in the data directory by default (nothing to start on one
//! machine). Its schema comes from numbered migrations, applied in order
//! and recorded, so an index made by an older backend is brought up to date
//! and one made by a newer backend is refused rather than misread.
//!
//! Calls block: the server makes them off its async workers.

use std::path::Path;
use std::sync::Mutex;

use paraakh_evidence::Severity;
use paraakh_evidence::merkle::sha256;
use paraakh_evidence::record::to_hex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::IngestError;

/// The schema, one step per migration; never edit a step once released,
/// add one.
const MIGRATIONS: &[&str] = &[
    // 1: sessions and the access log.
    "CREATE TABLE sessions (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        exam_id TEXT,
        ended INTEGER NOT NULL DEFAULT 0,
        records INTEGER NOT NULL DEFAULT 0,
        first_upload INTEGER NOT NULL,
        last_upload INTEGER NOT NULL,
        max_severity INTEGER,
        serious_events INTEGER NOT NULL DEFAULT 0,
        serious_decided INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant, session_id)
    );
    CREATE INDEX sessions_by_upload ON sessions (tenant, last_upload);
    CREATE TABLE access_log (
        tenant TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        allowed INTEGER NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (tenant, seq)
    );",
    // 2: the decision in force on each event (the review log itself is in
    // the object store, beside the evidence).
    "CREATE TABLE decisions (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        event_seq INTEGER NOT NULL,
        serious INTEGER NOT NULL,
        verdict TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (tenant, session_id, event_seq)
    );",
    // 3: retention: when the review closed, legal holds, deletions.
    "ALTER TABLE sessions ADD COLUMN closed_at INTEGER;
    ALTER TABLE sessions ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN deleted_at INTEGER;
    CREATE TABLE retention (tenant TEXT PRIMARY KEY, keep_secs INTEGER NOT NULL);",
];

/// Sets `closed_at` when a session's review closes (it ended and every high
/// or critical event has a decision), clears it when it opens again.
const CLOSE: &str = "UPDATE sessions SET closed_at = CASE
        WHEN ended = 1 AND serious_decided >= serious_events THEN COALESCE(closed_at, ?3)
        ELSE NULL END
    WHERE tenant = ?1 AND session_id = ?2";

/// Where the review of a session stands, as the index keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// No high or critical event.
    NothingToReview,
    /// A high or critical event waits for a decision.
    PendingReview,
    /// Every high or critical event has a decision.
    Reviewed,
}

impl ReviewState {
    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::NothingToReview => "nothing_to_review",
            ReviewState::PendingReview => "pending_review",
            ReviewState::Reviewed => "reviewed",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ReviewState::NothingToReview,
            ReviewState::PendingReview,
            ReviewState::Reviewed,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// One session as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRow {
    /// The session.
    pub session_id: String,
    /// Its exam, when its token named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exam_id: Option<String>,
    /// Whether its end record was uploaded.
    pub ended: bool,
    /// Records held.
    pub records: u64,
    /// First and last upload (POSIX seconds).
    pub first_upload: i64,
    /// See `first_upload`.
    pub last_upload: i64,
    /// Its most serious event so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_severity: Option<Severity>,
    /// High or critical events.
    pub serious_events: u64,
    /// Of those, how many have a decision.
    pub serious_decided: u64,
    /// Where its review stands.
    pub review: ReviewState,
    /// When its review closed (POSIX seconds): it ended and every high or
    /// critical event has a decision. Retention counts from here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<i64>,
    /// Under a legal hold: never deleted while it lasts.
    pub held: bool,
    /// When the retention sweep deleted its evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

/// A session after an accepted upload: what the backend holds of it (not
/// what changed, so a repeated or reordered call leaves the same row).
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The session.
    pub session_id: &'a str,
    /// The exam its token names.
    pub exam_id: Option<&'a str>,
    /// Records held now.
    pub records: u64,
    /// The end record was among them.
    pub ended: bool,
    /// The most serious event held.
    pub max_severity: Option<Severity>,
    /// High or critical events held.
    pub serious_events: u64,
    /// When (POSIX seconds).
    pub at: i64,
}

/// How to filter a listing (as the access log records it: only what is set).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFilter {
    /// Only sessions in this review state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewState>,
    /// Only sessions that ended (true) or not (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<bool>,
    /// Only sessions with an event at least this serious.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// Only this exam's sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exam_id: Option<String>,
    /// Sessions after this id (the previous page's last), in id order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// An access to append to a tenant's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccess {
    /// The tenant whose log it goes to.
    pub tenant: String,
    /// When (POSIX seconds).
    pub at: i64,
    /// Who (a staff token's subject).
    pub actor: String,
    /// With which role.
    pub role: String,
    /// What (`list_sessions`, `view_session`, `decide`, …).
    pub action: String,
    /// On what (a session id, a filter).
    pub target: String,
    /// Whether the role allowed it.
    pub allowed: bool,
}

/// One entry of a tenant's access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// Its position, from 0.
    pub seq: u64,
    /// When (POSIX seconds).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// With which role.
    pub role: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// Whether the role allowed it (a refused attempt is logged too).
    pub allowed: bool,
    /// SHA-256 over the previous entry's hash and this entry: the chain.
    pub hash: String,
}

impl AccessEntry {
    /// The chain hash of entry `seq` made of `a`, after the entry whose
    /// hash is `previous` (64 zeros for the first).
    pub fn chain_hash(previous: &str, seq: u64, a: &NewAccess) -> String {
        let line = serde_json::json!([
            previous, seq, a.at, a.actor, a.role, a.action, a.target, a.allowed
        ])
        .to_string();
        to_hex(&sha256(line.as_bytes()))
    }
}

fn severity_rank(s: Severity) -> i64 {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0) as i64
}

fn severity_of(rank: i64) -> Option<Severity> {
    usize::try_from(rank)
        .ok()
        .and_then(|i| Severity::ALL.get(i).copied())
}

fn db_err(e: rusqlite::Error) -> IngestError {
    IngestError::Index(e.to_string())
}

/// The index.
#[derive(Debug)]
pub struct Index {
    conn: Mutex<Connection>,
}

impl Index {
    /// Opens (or makes) the SQLite index at `path` and brings its schema up to date.
    pub fn open_sqlite(path: &Path) -> Result<Self, IngestError> {
        let conn = Connection::open(path).map_err(|e| {
            IngestError::Index(format!("cannot open the index {}: {e}", path.display()))
        })?;
        Self::from_connection(conn)
    }

    /// An index in memory (tests, `ingest export`).
    pub fn in_memory() -> Result<Self, IngestError> {
        Self::from_connection(Connection::open_in_memory().map_err(db_err)?)
    }

    fn from_connection(mut conn: Connection) -> Result<Self, IngestError> {
        // Several processes (replicas, `ingest token`) may share the file.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<u32, IngestError> {
        version(&self.conn())
    }

    /// Records what the backend holds of a session after an upload.
    pub fn record_upload(&self, u: &Upload<'_>) -> Result<(), IngestError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_err)?;
        tx.execute(
            "INSERT INTO sessions (tenant, session_id, exam_id, ended, records, first_upload, last_upload, max_severity, serious_events)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)
             ON CONFLICT (tenant, session_id) DO UPDATE SET
                exam_id = COALESCE(sessions.exam_id, excluded.exam_id),
                ended = MAX(sessions.ended, excluded.ended),
                records = MAX(sessions.records, excluded.records),
                last_upload = MAX(sessions.last_upload, excluded.last_upload),
                max_severity = MAX(COALESCE(sessions.max_severity, -1), COALESCE(excluded.max_severity, -1)),
                serious_events = MAX(sessions.serious_events, excluded.serious_events)",
            params![
                u.tenant,
                u.session_id,
                u.exam_id,
                u.ended,
                i64::try_from(u.records).unwrap_or(i64::MAX),
                u.at,
                u.max_severity.map(severity_rank),
                i64::try_from(u.serious_events).unwrap_or(i64::MAX),
            ],
        )
        .map_err(db_err)?;
        tx.execute(CLOSE, params![u.tenant, u.session_id, u.at])
            .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    /// Records the decision at `position` of a session's review log on
    /// event `event_seq`; a decision at an earlier position changes nothing
    /// (a later one is in force). Updates the session's decided count.
    pub fn record_decision(
        &self,
        tenant: &str,
        session_id: &str,
        event_seq: u64,
        serious: bool,
        verdict: &str,
        position: u64,
    ) -> Result<(), IngestError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_err)?;
        tx.execute(
            "INSERT INTO decisions (tenant, session_id, event_seq, serious, verdict, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (tenant, session_id, event_seq) DO UPDATE SET
                verdict = excluded.verdict, position = excluded.position
             WHERE excluded.position > decisions.position",
            params![
                tenant,
                session_id,
                i64::try_from(event_seq).unwrap_or(i64::MAX),
                serious,
                verdict,
                i64::try_from(position).unwrap_or(i64::MAX)
            ],
        )
        .map_err(db_err)?;
        tx.execute(
            "UPDATE sessions SET serious_decided = (
                SELECT COUNT(*) FROM decisions d
                WHERE d.tenant = ?1 AND d.session_id = ?2 AND d.serious = 1
                  AND d.verdict IN ('confirmed', 'dismissed'))
             WHERE tenant = ?1 AND session_id = ?2",
            params![tenant, session_id],
        )
        .map_err(db_err)?;
        tx.execute(
            CLOSE,
            params![tenant, session_id, crate::tokens::now_secs()],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    /// Sets how long `tenant` keeps a session's evidence after its review
    /// closes (`None`: for ever).
    pub fn set_retention(&self, tenant: &str, keep_secs: Option<i64>) -> Result<(), IngestError> {
        let conn = self.conn();
        match keep_secs {
            Some(k) => conn.execute(
                "INSERT INTO retention (tenant, keep_secs) VALUES (?1, ?2)
                 ON CONFLICT (tenant) DO UPDATE SET keep_secs = excluded.keep_secs",
                params![tenant, k],
            ),
            None => conn.execute("DELETE FROM retention WHERE tenant = ?1", params![tenant]),
        }
        .map_err(db_err)?;
        Ok(())
    }

    /// Every tenant's retention (tenant, seconds kept after the review closes).
    pub fn retentions(&self) -> Result<Vec<(String, i64)>, IngestError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT tenant, keep_secs FROM retention ORDER BY tenant")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        Ok(rows)
    }

    /// Puts a legal hold on a session (`held`) or lifts it; false if the
    /// tenant holds no such session.
    pub fn set_hold(
        &self,
        tenant: &str,
        session_id: &str,
        held: bool,
    ) -> Result<bool, IngestError> {
        let n = self
            .conn()
            .execute(
                "UPDATE sessions SET held = ?3 WHERE tenant = ?1 AND session_id = ?2 AND deleted_at IS NULL",
                params![tenant, session_id, held],
            )
            .map_err(db_err)?;
        Ok(n > 0)
    }

    /// `tenant`'s sessions whose review closed at least `keep_secs` before
    /// `now`, not held and not deleted: what the retention lets go.
    pub fn expired(
        &self,
        tenant: &str,
        now: i64,
        keep_secs: i64,
    ) -> Result<Vec<(String, i64)>, IngestError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT session_id, closed_at FROM sessions
                 WHERE tenant = ?1 AND deleted_at IS NULL AND held = 0
                   AND closed_at IS NOT NULL AND closed_at <= ?2 - ?3
                 ORDER BY session_id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![tenant, now, keep_secs], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        Ok(rows)
    }

    /// Marks a session deleted (its objects are gone; its row stays, so an
    /// upload of it again is refused and the listing can say so).
    pub fn mark_deleted(&self, tenant: &str, session_id: &str, at: i64) -> Result<(), IngestError> {
        self.conn()
            .execute(
                "UPDATE sessions SET deleted_at = ?3 WHERE tenant = ?1 AND session_id = ?2",
                params![tenant, session_id, at],
            )
            .map_err(db_err)?;
        Ok(())
    }

    /// One session of `tenant`.
    pub fn session(
        &self,
        tenant: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, IngestError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM sessions WHERE tenant = ?1 AND session_id = ?2"),
                params![tenant, session_id],
                row,
            )
            .optional()
            .map_err(db_err)
    }

    /// The sessions of `tenant` that pass `filter`, in id order.
    pub fn list(
        &self,
        tenant: &str,
        filter: &SessionFilter,
    ) -> Result<Vec<SessionRow>, IngestError> {
        let mut sql = format!("SELECT {COLUMNS} FROM sessions WHERE tenant = ?1");
        let mut args: Vec<rusqlite::types::Value> = vec![tenant.to_owned().into()];
        // Each value is bound, never spliced into the SQL.
        let mut bind = |v: rusqlite::types::Value| {
            args.push(v);
            format!("?{}", args.len())
        };
        match filter.review {
            Some(ReviewState::NothingToReview) => sql.push_str(" AND serious_events = 0"),
            Some(ReviewState::PendingReview) => {
                sql.push_str(" AND serious_decided < serious_events");
            }
            Some(ReviewState::Reviewed) => {
                sql.push_str(" AND serious_events > 0 AND serious_decided >= serious_events");
            }
            None => {}
        }
        if let Some(ended) = filter.ended {
            sql.push_str(&format!(" AND ended = {}", bind(i64::from(ended).into())));
        }
        if let Some(sev) = filter.min_severity {
            sql.push_str(&format!(
                " AND max_severity >= {}",
                bind(severity_rank(sev).into())
            ));
        }
        if let Some(exam) = &filter.exam_id {
            sql.push_str(&format!(" AND exam_id = {}", bind(exam.clone().into())));
        }
        if let Some(after) = &filter.after {
            sql.push_str(&format!(" AND session_id > {}", bind(after.clone().into())));
        }
        let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
        sql.push_str(&format!(" ORDER BY session_id LIMIT {limit}"));
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(db_err)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), row)
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        Ok(rows)
    }

    /// Appends to a tenant's access log; returns the entry.
    pub fn log_access(&self, a: &NewAccess) -> Result<AccessEntry, IngestError> {
        let mut conn = self.conn();
        // One transaction: the entry's place and its chain hash come from
        // the same last entry, whichever process appends.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM access_log WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1",
                params![a.tenant],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)?;
        let (seq, previous) = match last {
            Some((s, h)) => (u64::try_from(s + 1).unwrap_or(0), h),
            None => (0, "0".repeat(64)),
        };
        let hash = AccessEntry::chain_hash(&previous, seq, a);
        tx.execute(
            "INSERT INTO access_log (tenant, seq, at, actor, role, action, target, allowed, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                a.tenant,
                i64::try_from(seq).unwrap_or(i64::MAX),
                a.at,
                a.actor,
                a.role,
                a.action,
                a.target,
                a.allowed,
                hash
            ],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(AccessEntry {
            seq,
            at: a.at,
            actor: a.actor.clone(),
            role: a.role.clone(),
            action: a.action.clone(),
            target: a.target.clone(),
            allowed: a.allowed,
            hash,
        })
    }

    /// `tenant`'s access log from `from`, at most `limit` entries.
    pub fn access_log(
        &self,
        tenant: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<AccessEntry>, IngestError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT seq, at, actor, role, action, target, allowed, hash FROM access_log
                 WHERE tenant = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(
                params![
                    tenant,
                    i64::try_from(from).unwrap_or(i64::MAX),
                    limit.clamp(1, 10_000)
                ],
                |r| {
                    Ok(AccessEntry {
                        seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        role: r.get(3)?,
                        action: r.get(4)?,
                        target: r.get(5)?,
                        allowed: r.get::<_, i64>(6)? != 0,
                        hash: r.get(7)?,
                    })
                },
            )
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        Ok(rows)
    }
}

const COLUMNS: &str = "session_id, exam_id, ended, records, first_upload, last_upload, max_severity, serious_events, serious_decided, closed_at, held, deleted_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    let serious_events = u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0);
    let serious_decided = u64::try_from(r.get::<_, i64>(8)?).unwrap_or(0);
    Ok(SessionRow {
        session_id: r.get(0)?,
        exam_id: r.get(1)?,
        ended: r.get::<_, i64>(2)? != 0,
        records: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        first_upload: r.get(4)?,
        last_upload: r.get(5)?,
        max_severity: r.get::<_, Option<i64>>(6)?.and_then(severity_of),
        serious_events,
        serious_decided,
        closed_at: r.get(9)?,
        held: r.get::<_, i64>(10)? != 0,
        deleted_at: r.get(11)?,
        review: if serious_events == 0 {
            ReviewState::NothingToReview
        } else if serious_decided >= serious_events {
            ReviewState::Reviewed
        } else {
            ReviewState::PendingReview
        },
    })
}

fn version(conn: &Connection) -> Result<u32, IngestError> {
    conn.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    .map_err(db_err)
}

fn migrate(conn: &mut Connection) -> Result<(), IngestError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .map_err(db_err)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let have: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    let known = MIGRATIONS.len() as i64;
    if have > known {
        return Err(IngestError::Index(format!(
            "the index has schema version {have}, newer than this backend knows ({known}): run the newer paraakh, or restore the index it made"
        )));
    }
    for (i, step) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(have).unwrap_or(0))
    {
        tx.execute_batch(step)
            .map_err(|e| IngestError::Index(format!("migration {} failed: {e}", i + 1)))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![i as i64 + 1, crate::tokens::now_secs()],
        )
        .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)
}

#[cfg(test)]
mod tests;
