//! What the index asks of a database: transactions of statements with
//! bound values. The index's logic is written once over [`Tx`]; SQLite and
//! PostgreSQL each implement it in a page.

use crate::IngestError;

/// A value bound to a statement or read from a row. Nulls carry their type:
/// PostgreSQL checks a parameter's type even when it is null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Value {
    pub(crate) fn int(v: i64) -> Self {
        Value::Int(Some(v))
    }

    pub(crate) fn text(v: impl Into<String>) -> Self {
        Value::Text(Some(v.into()))
    }

    /// The integer in a column (null: `None`).
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => *v,
            Value::Text(_) => None,
        }
    }

    /// The text in a column (null: `None`).
    pub(crate) fn as_text(&self) -> Option<String> {
        match self {
            Value::Text(v) => v.clone(),
            Value::Int(_) => None,
        }
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::int(i64::from(v))
    }
}

/// One transaction. Statements use `?1`, `?2`, … for their values (the
/// PostgreSQL side turns them into `$1`, `$2`, …).
pub(crate) trait Tx {
    /// Runs a statement; returns the rows it changed.
    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, IngestError>;
    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Vec<Value>>, IngestError>;
    /// Runs statements without values (a migration step).
    fn batch(&mut self, sql: &str) -> Result<(), IngestError>;
    /// Holds `key` until the transaction ends, against every other process
    /// sharing the database (SQLite: the transaction holds the whole file
    /// already).
    fn lock(&mut self, key: &str) -> Result<(), IngestError>;
}

/// The SQL that differs between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The larger of two values (SQLite's scalar `MAX`, PostgreSQL's `GREATEST`).
    pub(crate) fn greatest(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MAX",
            Dialect::Postgres => "GREATEST",
        }
    }
}

/// A database the index runs on.
pub(crate) trait Db: Send + Sync + std::fmt::Debug {
    fn dialect(&self) -> Dialect;
    /// Runs `work` in one transaction, committed when it returns `Ok`. May
    /// call it again on a fresh connection when the first one had broken.
    fn transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), IngestError>,
    ) -> Result<(), IngestError>;
}
