//! The backend's index: one row per session (to list and filter them for
//! review), and each tenant's access log. Objects (records, blobs,
//! receipts) stay in the object store; the index only says what is there
//! and who looked. A database, so that several replicas can share it:
//! SQLite in the data directory by default (nothing to start on one
//! machine), PostgreSQL when several replicas share one object store. Its
//! schema comes from numbered migrations, applied in order and recorded, so
//! an index made by an older backend is brought up to date and one made by
//! a newer backend is refused rather than misread.
//!
//! Calls block: the server makes them off its async workers.

mod db;
mod postgres;
mod sqlite;

use std::path::Path;

use paraakh_evidence::Severity;
use serde::{Deserialize, Serialize};

use crate::IngestError;
use db::{Db, Dialect, Tx, Value};

/// The schema, one step per migration; never edit a step once released,
/// add one (to both lists: the same step number means the same schema).
const SQLITE_MIGRATIONS: &[&str] = &[
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

/// The same steps for PostgreSQL (64-bit integers throughout).
const POSTGRES_MIGRATIONS: &[&str] = &[
    "CREATE TABLE sessions (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        exam_id TEXT,
        ended BIGINT NOT NULL DEFAULT 0,
        records BIGINT NOT NULL DEFAULT 0,
        first_upload BIGINT NOT NULL,
        last_upload BIGINT NOT NULL,
        max_severity BIGINT,
        serious_events BIGINT NOT NULL DEFAULT 0,
        serious_decided BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant, session_id)
    );
    CREATE INDEX sessions_by_upload ON sessions (tenant, last_upload);
    CREATE TABLE access_log (
        tenant TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        allowed BIGINT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (tenant, seq)
    );",
    "CREATE TABLE decisions (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        event_seq BIGINT NOT NULL,
        serious BIGINT NOT NULL,
        verdict TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, session_id, event_seq)
    );",
    "ALTER TABLE sessions ADD COLUMN closed_at BIGINT;
    ALTER TABLE sessions ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN deleted_at BIGINT;
    CREATE TABLE retention (tenant TEXT PRIMARY KEY, keep_secs BIGINT NOT NULL);",
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

/// One entry of a tenant's access log (the auditor's tool reads the same).
pub type AccessEntry = paraakh_review::access_log::LoggedAccess;

impl NewAccess {
    /// The chain hash of this access as entry `seq`, after the entry whose
    /// hash is `previous` (64 zeros for the first).
    pub fn chain_hash(&self, previous: &str, seq: u64) -> String {
        paraakh_review::access_log::chain_hash(
            previous,
            seq,
            self.at,
            &self.actor,
            &self.role,
            &self.action,
            &self.target,
            self.allowed,
        )
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

/// The index, on SQLite or PostgreSQL.
#[derive(Debug)]
pub struct Index {
    db: Box<dyn Db>,
}

impl Index {
    /// Opens the index `spec` names: a `postgres://` (or `postgresql://`)
    /// URL, else a SQLite file; brings its schema up to date.
    pub fn open(spec: &str) -> Result<Self, IngestError> {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Self::open_postgres(spec)
        } else {
            Self::open_sqlite(Path::new(spec))
        }
    }

    /// Opens (or makes) the SQLite index at `path`.
    pub fn open_sqlite(path: &Path) -> Result<Self, IngestError> {
        Self::with(Box::new(sqlite::Sqlite::open(path)?))
    }

    /// Connects to the PostgreSQL index at `url`.
    pub fn open_postgres(url: &str) -> Result<Self, IngestError> {
        Self::with(Box::new(postgres::Postgres::connect(url)?))
    }

    /// An index in memory (tests, `ingest export`).
    pub fn in_memory() -> Result<Self, IngestError> {
        Self::with(Box::new(sqlite::Sqlite::in_memory()?))
    }

    fn with(db: Box<dyn Db>) -> Result<Self, IngestError> {
        let index = Self { db };
        index.migrate()?;
        Ok(index)
    }

    /// Runs `work` in one transaction and returns what it made.
    fn tx<T>(
        &self,
        mut work: impl FnMut(&mut dyn Tx) -> Result<T, IngestError>,
    ) -> Result<T, IngestError> {
        let mut out = None;
        self.db.transaction(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| IngestError::Index("a transaction ended without a result".into()))
    }

    fn migrations(&self) -> &'static [&'static str] {
        match self.db.dialect() {
            Dialect::Sqlite => SQLITE_MIGRATIONS,
            Dialect::Postgres => POSTGRES_MIGRATIONS,
        }
    }

    fn migrate(&self) -> Result<(), IngestError> {
        let steps = self.migrations();
        self.tx(|tx| {
            // Replicas starting together: one migrates, the others wait
            // and find it done.
            tx.lock("paraakh schema")?;
            tx.batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )?;
            let have = scalar(tx.query(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )?);
            let known = steps.len() as i64;
            if have > known {
                return Err(IngestError::Index(format!(
                    "the index has schema version {have}, newer than this backend knows ({known}): run the newer paraakh, or restore the index it made"
                )));
            }
            for (i, step) in steps
                .iter()
                .enumerate()
                .skip(usize::try_from(have).unwrap_or(0))
            {
                tx.batch(step).map_err(|e| {
                    IngestError::Index(format!("migration {} failed: {e}", i + 1))
                })?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                    &[Value::int(i as i64 + 1), Value::int(crate::tokens::now_secs())],
                )?;
            }
            Ok(())
        })
    }

    /// The schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<u32, IngestError> {
        let n = self.tx(|tx| {
            Ok(scalar(
                tx.query("SELECT COUNT(*) FROM schema_migrations", &[])?,
            ))
        })?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Records what the backend holds of a session after an upload.
    pub fn record_upload(&self, u: &Upload<'_>) -> Result<(), IngestError> {
        let max = self.db.dialect().greatest();
        let upsert = format!(
            "INSERT INTO sessions (tenant, session_id, exam_id, ended, records, first_upload, last_upload, max_severity, serious_events)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)
             ON CONFLICT (tenant, session_id) DO UPDATE SET
                exam_id = COALESCE(sessions.exam_id, excluded.exam_id),
                ended = {max}(sessions.ended, excluded.ended),
                records = {max}(sessions.records, excluded.records),
                last_upload = {max}(sessions.last_upload, excluded.last_upload),
                max_severity = {max}(COALESCE(sessions.max_severity, -1), COALESCE(excluded.max_severity, -1)),
                serious_events = {max}(sessions.serious_events, excluded.serious_events)"
        );
        let values = [
            Value::text(u.tenant),
            Value::text(u.session_id),
            Value::Text(u.exam_id.map(str::to_owned)),
            u.ended.into(),
            u.records.into(),
            Value::int(u.at),
            Value::Int(u.max_severity.map(severity_rank)),
            u.serious_events.into(),
        ];
        self.tx(|tx| {
            tx.execute(&upsert, &values)?;
            tx.execute(
                CLOSE,
                &[values[0].clone(), values[1].clone(), Value::int(u.at)],
            )?;
            Ok(())
        })
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
        let key = [Value::text(tenant), Value::text(session_id)];
        self.tx(|tx| {
            // The count below sees every decision committed before it.
            tx.lock(&format!("decisions {tenant}/{session_id}"))?;
            tx.execute(
                "INSERT INTO decisions (tenant, session_id, event_seq, serious, verdict, position)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant, session_id, event_seq) DO UPDATE SET
                    verdict = excluded.verdict, position = excluded.position
                 WHERE excluded.position > decisions.position",
                &[
                    key[0].clone(),
                    key[1].clone(),
                    event_seq.into(),
                    serious.into(),
                    Value::text(verdict),
                    position.into(),
                ],
            )?;
            tx.execute(
                "UPDATE sessions SET serious_decided = (
                    SELECT COUNT(*) FROM decisions d
                    WHERE d.tenant = ?1 AND d.session_id = ?2 AND d.serious = 1
                      AND d.verdict IN ('confirmed', 'dismissed'))
                 WHERE tenant = ?1 AND session_id = ?2",
                &key,
            )?;
            tx.execute(
                CLOSE,
                &[
                    key[0].clone(),
                    key[1].clone(),
                    Value::int(crate::tokens::now_secs()),
                ],
            )?;
            Ok(())
        })
    }

    /// Sets how long `tenant` keeps a session's evidence after its review
    /// closes (`None`: for ever).
    pub fn set_retention(&self, tenant: &str, keep_secs: Option<i64>) -> Result<(), IngestError> {
        self.tx(|tx| {
            match keep_secs {
                Some(k) => tx.execute(
                    "INSERT INTO retention (tenant, keep_secs) VALUES (?1, ?2)
                     ON CONFLICT (tenant) DO UPDATE SET keep_secs = excluded.keep_secs",
                    &[Value::text(tenant), Value::int(k)],
                ),
                None => tx.execute(
                    "DELETE FROM retention WHERE tenant = ?1",
                    &[Value::text(tenant)],
                ),
            }
            .map(|_| ())
        })
    }

    /// Every tenant's retention (tenant, seconds kept after the review closes).
    pub fn retentions(&self) -> Result<Vec<(String, i64)>, IngestError> {
        let rows = self.tx(|tx| {
            tx.query(
                "SELECT tenant, keep_secs FROM retention ORDER BY tenant",
                &[],
            )
        })?;
        Ok(rows.iter().map(|r| (text(r, 0), int(r, 1))).collect())
    }

    /// Puts a legal hold on a session (`held`) or lifts it; false if the
    /// tenant holds no such session.
    pub fn set_hold(
        &self,
        tenant: &str,
        session_id: &str,
        held: bool,
    ) -> Result<bool, IngestError> {
        let n = self.tx(|tx| {
            tx.execute(
                "UPDATE sessions SET held = ?3 WHERE tenant = ?1 AND session_id = ?2 AND deleted_at IS NULL",
                &[Value::text(tenant), Value::text(session_id), held.into()],
            )
        })?;
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
        let rows = self.tx(|tx| {
            tx.query(
                "SELECT session_id, closed_at FROM sessions
                 WHERE tenant = ?1 AND deleted_at IS NULL AND held = 0
                   AND closed_at IS NOT NULL AND closed_at <= CAST(?2 AS BIGINT) - CAST(?3 AS BIGINT)
                 ORDER BY session_id",
                &[Value::text(tenant), Value::int(now), Value::int(keep_secs)],
            )
        })?;
        Ok(rows.iter().map(|r| (text(r, 0), int(r, 1))).collect())
    }

    /// Marks a session deleted (its objects are gone; its row stays, so an
    /// upload of it again is refused and the listing can say so).
    pub fn mark_deleted(&self, tenant: &str, session_id: &str, at: i64) -> Result<(), IngestError> {
        self.tx(|tx| {
            tx.execute(
                "UPDATE sessions SET deleted_at = ?3 WHERE tenant = ?1 AND session_id = ?2",
                &[Value::text(tenant), Value::text(session_id), Value::int(at)],
            )
            .map(|_| ())
        })
    }

    /// One session of `tenant`.
    pub fn session(
        &self,
        tenant: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, IngestError> {
        let rows = self.tx(|tx| {
            tx.query(
                &format!("SELECT {COLUMNS} FROM sessions WHERE tenant = ?1 AND session_id = ?2"),
                &[Value::text(tenant), Value::text(session_id)],
            )
        })?;
        Ok(rows.first().map(|r| session_row(r)))
    }

    /// The sessions of `tenant` that pass `filter`, in id order.
    pub fn list(
        &self,
        tenant: &str,
        filter: &SessionFilter,
    ) -> Result<Vec<SessionRow>, IngestError> {
        let mut sql = format!("SELECT {COLUMNS} FROM sessions WHERE tenant = ?1");
        let mut args = vec![Value::text(tenant)];
        // Each value is bound, never spliced into the SQL.
        let mut bind = |v: Value| {
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
            sql.push_str(&format!(" AND ended = {}", bind(ended.into())));
        }
        if let Some(sev) = filter.min_severity {
            sql.push_str(&format!(
                " AND max_severity >= {}",
                bind(Value::int(severity_rank(sev)))
            ));
        }
        if let Some(exam) = &filter.exam_id {
            sql.push_str(&format!(" AND exam_id = {}", bind(Value::text(exam))));
        }
        if let Some(after) = &filter.after {
            sql.push_str(&format!(" AND session_id > {}", bind(Value::text(after))));
        }
        let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
        sql.push_str(&format!(" ORDER BY session_id LIMIT {limit}"));
        let rows = self.tx(|tx| tx.query(&sql, &args))?;
        Ok(rows.iter().map(|r| session_row(r)).collect())
    }

    /// Appends to a tenant's access log; returns the entry.
    pub fn log_access(&self, a: &NewAccess) -> Result<AccessEntry, IngestError> {
        self.tx(|tx| {
            // The entry's place and its chain hash come from the same last
            // entry, whichever process appends.
            tx.lock(&format!("access log {}", a.tenant))?;
            let last = tx.query(
                "SELECT seq, hash FROM access_log WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1",
                &[Value::text(&a.tenant)],
            )?;
            let (seq, previous) = match last.first() {
                Some(r) => (u64::try_from(int(r, 0) + 1).unwrap_or(0), text(r, 1)),
                None => (0, "0".repeat(64)),
            };
            let hash = a.chain_hash(&previous, seq);
            tx.execute(
                "INSERT INTO access_log (tenant, seq, at, actor, role, action, target, allowed, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                &[
                    Value::text(&a.tenant),
                    seq.into(),
                    Value::int(a.at),
                    Value::text(&a.actor),
                    Value::text(&a.role),
                    Value::text(&a.action),
                    Value::text(&a.target),
                    a.allowed.into(),
                    Value::text(&hash),
                ],
            )?;
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
        })
    }

    /// `tenant`'s access log from `from`, at most `limit` entries.
    pub fn access_log(
        &self,
        tenant: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<AccessEntry>, IngestError> {
        let rows = self.tx(|tx| {
            tx.query(
                "SELECT seq, at, actor, role, action, target, allowed, hash FROM access_log
                 WHERE tenant = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
                &[
                    Value::text(tenant),
                    from.into(),
                    Value::int(i64::from(limit.clamp(1, 10_000))),
                ],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| AccessEntry {
                seq: u64::try_from(int(r, 0)).unwrap_or(0),
                at: int(r, 1),
                actor: text(r, 2),
                role: text(r, 3),
                action: text(r, 4),
                target: text(r, 5),
                allowed: int(r, 6) != 0,
                hash: text(r, 7),
            })
            .collect())
    }
}

const COLUMNS: &str = "session_id, exam_id, ended, records, first_upload, last_upload, max_severity, serious_events, serious_decided, closed_at, held, deleted_at";

/// Column `i` of a row as an integer (null or missing: 0).
fn int(row: &[Value], i: usize) -> i64 {
    row.get(i).and_then(Value::as_int).unwrap_or(0)
}

/// Column `i` of a row as text (null or missing: empty).
fn text(row: &[Value], i: usize) -> String {
    row.get(i).and_then(Value::as_text).unwrap_or_default()
}

/// The first column of the first row.
fn scalar(rows: Vec<Vec<Value>>) -> i64 {
    rows.first().map_or(0, |r| int(r, 0))
}

fn session_row(r: &[Value]) -> SessionRow {
    let opt = |i: usize| r.get(i).and_then(Value::as_int);
    let serious_events = u64::try_from(int(r, 7)).unwrap_or(0);
    let serious_decided = u64::try_from(int(r, 8)).unwrap_or(0);
    SessionRow {
        session_id: text(r, 0),
        exam_id: r.get(1).and_then(Value::as_text),
        ended: int(r, 2) != 0,
        records: u64::try_from(int(r, 3)).unwrap_or(0),
        first_upload: int(r, 4),
        last_upload: int(r, 5),
        max_severity: opt(6).and_then(severity_of),
        serious_events,
        serious_decided,
        closed_at: opt(9),
        held: int(r, 10) != 0,
        deleted_at: opt(11),
        review: if serious_events == 0 {
            ReviewState::NothingToReview
        } else if serious_decided >= serious_events {
            ReviewState::Reviewed
        } else {
            ReviewState::PendingReview
        },
    }
}

#[cfg(test)]
mod tests;
