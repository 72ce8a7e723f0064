//! The index in a SQLite file: nothing to start on one machine. Several
//! processes on the machine (replicas, `ingest token`) may share the file;
//! each transaction takes its write lock at the start (`BEGIN IMMEDIATE`),
//! so they follow each other.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::Connection;
use rusqlite::types::{Value as SqlValue, ValueRef};

use super::db::{Db, Dialect, Tx, Value};
use crate::IngestError;

fn db_err(e: rusqlite::Error) -> IngestError {
    IngestError::Index(e.to_string())
}

#[derive(Debug)]
pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
}

impl Sqlite {
    pub(crate) fn open(path: &Path) -> Result<Self, IngestError> {
        let conn = Connection::open(path).map_err(|e| {
            IngestError::Index(format!("cannot open the index {}: {e}", path.display()))
        })?;
        Self::from_connection(conn)
    }

    pub(crate) fn in_memory() -> Result<Self, IngestError> {
        Self::from_connection(Connection::open_in_memory().map_err(db_err)?)
    }

    fn from_connection(conn: Connection) -> Result<Self, IngestError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }
}

fn bind(values: &[Value]) -> impl Iterator<Item = SqlValue> + '_ {
    values.iter().map(|v| match v {
        Value::Int(Some(i)) => SqlValue::Integer(*i),
        Value::Text(Some(s)) => SqlValue::Text(s.clone()),
        Value::Int(None) | Value::Text(None) => SqlValue::Null,
    })
}

impl Tx for rusqlite::Transaction<'_> {
    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, IngestError> {
        let n = Connection::execute(self, sql, rusqlite::params_from_iter(bind(values)))
            .map_err(db_err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Vec<Value>>, IngestError> {
        let mut stmt = self.prepare(sql).map_err(db_err)?;
        let width = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(bind(values)), |row| {
                (0..width)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            ValueRef::Integer(n) => Value::int(n),
                            ValueRef::Text(t) => Value::text(String::from_utf8_lossy(t)),
                            // Not stored by the index; read as null.
                            ValueRef::Null | ValueRef::Real(_) | ValueRef::Blob(_) => {
                                Value::Int(None)
                            }
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        Ok(rows)
    }

    fn batch(&mut self, sql: &str) -> Result<(), IngestError> {
        self.execute_batch(sql).map_err(db_err)
    }

    fn lock(&mut self, _key: &str) -> Result<(), IngestError> {
        Ok(())
    }
}

impl Db for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_err)?;
        work(&mut tx)?;
        tx.commit().map_err(db_err)
    }
}
