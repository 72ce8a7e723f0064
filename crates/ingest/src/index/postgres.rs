//! The index in PostgreSQL: for several backend replicas sharing one object
//! store. Every replica runs the same migrations at start (one at a time,
//! under an advisory lock); appends that must follow each other — a
//! tenant's access log, a session's decisions — take an advisory lock for
//! their key inside their transaction, so two replicas never interleave
//! them. Connections are kept in a small pool; one that broke (the database
//! restarted) is dropped and the work run again on a fresh one when it had
//! not started.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::db::{Db, Dialect, Tx, Value};
use crate::IngestError;

/// Idle connections kept per process.
const POOL: usize = 8;

pub(crate) struct Postgres {
    config: postgres::Config,
    /// The URL without its password, for messages.
    shown: String,
    idle: Mutex<Vec<Client>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

fn db_err(e: postgres::Error) -> IngestError {
    match e.as_db_error() {
        Some(db) => IngestError::Index(format!("PostgreSQL: {}", db.message())),
        None => IngestError::Index(format!("PostgreSQL: {e}")),
    }
}

impl Postgres {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    /// or any form libpq takes); fails now if the database cannot be reached.
    pub(crate) fn connect(url: &str) -> Result<Self, IngestError> {
        let shown = match url::Url::parse(url) {
            Ok(mut u) => {
                let _ = u.set_password(None);
                u.to_string()
            }
            Err(_) => "the PostgreSQL index".to_owned(),
        };
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| IngestError::Config(format!("bad index URL {shown}: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("paraakh-ingest");
        let db = Self {
            config,
            shown,
            idle: Mutex::new(Vec::new()),
        };
        let client = db.connect_one()?;
        db.checkin(client);
        Ok(db)
    }

    fn connect_one(&self) -> Result<Client, IngestError> {
        self.config.connect(NoTls).map_err(|e| {
            IngestError::Index(format!(
                "cannot reach the index at {}: {e}; is PostgreSQL running there, and may this user connect?",
                self.shown
            ))
        })
    }

    fn checkout(&self) -> Result<(Client, bool), IngestError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match idle {
            Some(c) => Ok((c, true)),
            None => Ok((self.connect_one()?, false)),
        }
    }

    fn checkin(&self, client: Client) {
        if client.is_closed() {
            return;
        }
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < POOL {
            idle.push(client);
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // A client closes its connection by blocking on its own runtime,
        // which panics on an async worker (where the backend's last handle
        // may go): close them on a thread of their own.
        let idle = std::mem::take(
            &mut *self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

/// `?1` → `$1`: the index's statements have no `?` anywhere else.
fn numbered(sql: &str) -> String {
    sql.replace('?', "$")
}

fn bind(values: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
    values
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Value::Int(i) => Box::new(*i),
                Value::Text(s) => Box::new(s.clone()),
            }
        })
        .collect()
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    /// Whether a statement ran: then the work is never run again.
    started: bool,
}

impl PgTx<'_> {
    fn params(boxes: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
        boxes.iter().map(|b| b.as_ref()).collect()
    }
}

impl Tx for PgTx<'_> {
    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, IngestError> {
        let boxes = bind(values);
        let n = self
            .tx
            .execute(numbered(sql).as_str(), &Self::params(&boxes))
            .map_err(db_err)?;
        self.started = true;
        Ok(n)
    }

    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Vec<Value>>, IngestError> {
        let boxes = bind(values);
        let rows = self
            .tx
            .query(numbered(sql).as_str(), &Self::params(&boxes))
            .map_err(db_err)?;
        self.started = true;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_();
                        if *ty == Type::INT8 {
                            row.try_get::<_, Option<i64>>(i).map(Value::Int)
                        } else if *ty == Type::INT4 {
                            row.try_get::<_, Option<i32>>(i)
                                .map(|v| Value::Int(v.map(i64::from)))
                        } else {
                            row.try_get::<_, Option<String>>(i).map(Value::Text)
                        }
                        .map_err(db_err)
                    })
                    .collect()
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), IngestError> {
        self.tx.batch_execute(sql).map_err(db_err)?;
        self.started = true;
        Ok(())
    }

    fn lock(&mut self, key: &str) -> Result<(), IngestError> {
        self.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
            &[Value::text(key)],
        )
        .map(|_| ())
    }
}

impl Db for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let mut again = true;
        loop {
            let (mut client, reused) = self.checkout()?;
            let mut started = false;
            let result = match client.transaction() {
                Ok(tx) => {
                    let mut tx = PgTx { tx, started };
                    let r = work(&mut tx);
                    started = tx.started;
                    r.and_then(|()| tx.tx.commit().map_err(db_err))
                }
                Err(e) => Err(db_err(e)),
            };
            let broke = client.is_closed();
            self.checkin(client);
            match result {
                // An idle connection the database closed meanwhile: once
                // more, on a new one, if nothing of the work reached it.
                Err(_) if broke && reused && !started && again => again = false,
                r => return r,
            }
        }
    }
}
