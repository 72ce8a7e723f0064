//! Running the candidates on a pool of workers, and checking the
//! backend's copies afterwards.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use paraakh_evidence::verify::{Status, VerifyOptions, verify};
use paraakh_evidence::{NoteVerifier, TenantPublicKey};
use paraakh_ingest::store::SessionStore;
use paraakh_ingest::{BackendKeys, Stores};
use paraakh_sync::{Api, Credentials, RetryPolicy, SyncOptions, SyncReport, sync_session};

use crate::candidate::Candidate;
use crate::{CheckReport, LoadError, LoadOptions, LoadReport, Percentiles};

/// A session the load uploaded, and how many records it has.
#[derive(Debug, Clone)]
pub struct Expected {
    /// The session.
    pub session_id: String,
    /// Its records.
    pub records: u64,
}

/// The one async runtime of the load (issuing tokens, reading the store
/// back): shared by every thread, so that the store client's pooled
/// connections always have a runtime driving them.
fn runtime() -> Result<&'static tokio::runtime::Runtime, LoadError> {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LoadError::Options(format!("cannot start a runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// Records every candidate's session and issues its token (in parallel).
fn prepare(
    opts: &LoadOptions,
    keys: &BackendKeys,
    stores: &Stores,
    tenant_key: &TenantPublicKey,
    work: &Path,
) -> Result<Vec<Candidate>, LoadError> {
    let rt = runtime()?;
    let store = stores.of(&opts.tenant);
    let mut tokens = Vec::with_capacity(opts.candidates);
    for i in 0..opts.candidates {
        let session = format!("{}{i:06}", opts.prefix);
        tokens.push(rt.block_on(paraakh_ingest::tokens::issue(
            keys,
            store,
            &opts.tenant,
            &session,
            &opts.exam,
            paraakh_ingest::tokens::MAX_ACCESS_SECS,
            86_400,
        ))?);
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = Mutex::new(tokens.into_iter().enumerate());
    let made = Mutex::new(Vec::with_capacity(opts.candidates));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let Some((i, token)) = next
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next()
                    else {
                        return;
                    };
                    let c = Candidate::prepare(
                        work,
                        i,
                        &opts.prefix,
                        &opts.tenant,
                        &opts.exam,
                        tenant_key,
                        &opts.recording,
                        token,
                    );
                    made.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((i, c));
                }
            });
        }
    });
    let mut made = made
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    made.sort_by_key(|(i, _)| *i);
    made.into_iter().map(|(_, c)| c).collect()
}

/// The figures workers add up.
#[derive(Default)]
struct Tally {
    report: LoadReport,
    rounds: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, took: Duration, result: &Result<SyncReport, String>) {
        self.report.rounds += 1;
        self.rounds.push(took);
        match result {
            Ok(r) => {
                self.report.records_sent += r.records_sent;
                self.report.blobs_sent += r.blobs_sent;
                self.report.bytes_sent += r.bytes_sent;
                self.report.retries += r.retries;
            }
            Err(e) => {
                self.report.failed_rounds += 1;
                let key: String = e.chars().take(160).collect();
                *self.report.errors.entry(key).or_default() += 1;
            }
        }
    }
}

/// The candidates due next, (when, which), soonest first; and how many
/// are not done.
type Due = (BinaryHeap<Reverse<(Instant, usize)>>, usize);

struct Schedule {
    state: Mutex<Due>,
    wake: Condvar,
}

impl Schedule {
    fn new(starts: &[Instant]) -> Self {
        let due = starts
            .iter()
            .enumerate()
            .map(|(i, at)| Reverse((*at, i)))
            .collect();
        Self {
            state: Mutex::new((due, starts.len())),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Due> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next candidate due, once it is; `None` when every one is done.
    fn next(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.1 == 0 {
                return None;
            }
            // Nothing queued: every one left is in a round now; wait for one.
            let wait = match state.0.peek() {
                Some(Reverse((at, i))) => {
                    let now = Instant::now();
                    if *at <= now {
                        let i = *i;
                        state.0.pop();
                        return Some(i);
                    }
                    *at - now
                }
                None => Duration::from_millis(200),
            };
            state = self
                .wake
                .wait_timeout(state, wait)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Candidate `i` goes again at `at`.
    fn put(&self, at: Instant, i: usize) {
        self.lock().0.push(Reverse((at, i)));
        self.wake.notify_one();
    }

    /// A candidate is done (complete, or out of time).
    fn done(&self) {
        let mut state = self.lock();
        state.1 = state.1.saturating_sub(1);
        self.wake.notify_all();
    }
}

/// Runs the load; returns its figures and what each session should hold.
pub fn run(
    opts: &LoadOptions,
    keys: &BackendKeys,
    stores: &Stores,
    tenant_key: &TenantPublicKey,
    work: &Path,
) -> Result<(LoadReport, Vec<Expected>), LoadError> {
    if opts.servers.is_empty() || opts.candidates == 0 {
        return Err(LoadError::Options(
            "give at least one --server and one candidate".into(),
        ));
    }
    let candidates = prepare(opts, keys, stores, tenant_key, work)?;
    let expected: Vec<Expected> = candidates
        .iter()
        .map(|c| Expected {
            session_id: c.session_id.clone(),
            records: c.records(),
        })
        .collect();
    let http = Api::http_client()?;
    let retry = RetryPolicy {
        base: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        // A replica that is down: the next round goes to another.
        give_up_after: Duration::from_secs(10),
    };
    let sync_opts = SyncOptions::default();
    let start = Instant::now();
    let n = candidates.len();
    let starts: Vec<Instant> = (0..n)
        .map(|i| start + opts.ramp.mul_f64(i as f64 / n as f64))
        .collect();
    let deadline = start + opts.ramp + opts.duration + opts.grace;
    let schedule = Schedule::new(&starts);
    let slots: Vec<Mutex<Candidate>> = candidates.into_iter().map(Mutex::new).collect();
    let tally = Mutex::new(Tally::default());
    std::thread::scope(|s| {
        for _ in 0..opts.workers.max(1) {
            s.spawn(|| {
                while let Some(i) = schedule.next() {
                    let mut c = slots[i]
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let fraction =
                        starts[i].elapsed().as_secs_f64() / opts.duration.as_secs_f64().max(1e-3);
                    let server = &opts.servers[c.server % opts.servers.len()];
                    if opts.rotate {
                        c.server += 1;
                    }
                    let began = Instant::now();
                    let result = c
                        .reveal(fraction)
                        .map_err(|e| e.to_string())
                        .and_then(|()| {
                            let api = Api::with_http(
                                server,
                                Credentials::new(c.tokens.clone()),
                                retry,
                                http.clone(),
                            )
                            .map_err(|e| e.to_string())?;
                            let r = sync_session(&api, &c.live, &sync_opts, &mut |_| {})
                                .map_err(|e| e.to_string());
                            c.tokens = api.credentials().tokens();
                            r
                        });
                    let took = began.elapsed();
                    if result.is_err() && !opts.rotate {
                        // Its server failed it: the next one, as a load
                        // balancer takes a replica that stopped answering
                        // out of its pool.
                        c.server += 1;
                    }
                    let finished = c.all_revealed() && result.as_ref().is_ok_and(|r| r.complete);
                    c.done = finished;
                    tally
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .add(took, &result);
                    let now = Instant::now();
                    if !finished && now < deadline {
                        // A failed round is tried again sooner.
                        let wait = if result.is_ok() {
                            opts.every
                        } else {
                            opts.every / 2
                        };
                        schedule.put(now + wait, i);
                    } else {
                        schedule.done();
                    }
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let mut tally = tally
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut report = tally.report;
    report.candidates = n;
    report.seconds = seconds;
    report.round_ms = Percentiles::of(&mut tally.rounds);
    for slot in &slots {
        let c = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if c.done {
            report.complete += 1;
        } else {
            report.incomplete.push(c.session_id.clone());
        }
    }
    report.rounds_per_second = report.rounds as f64 / seconds.max(1e-3);
    report.records_per_second = report.records_sent as f64 / seconds.max(1e-3);
    report.bytes_per_second = report.bytes_sent as f64 / seconds.max(1e-3);
    Ok((report, expected))
}

/// Reads every session back from the backend's store and verifies it:
/// every record there once, under a receipt of `backend_key`, every blob.
/// `threads` sessions at a time.
pub fn check(
    expected: &[Expected],
    tenant: &str,
    stores: &Stores,
    backend_key: &NoteVerifier,
    work: &Path,
    threads: usize,
) -> Result<CheckReport, LoadError> {
    let store = stores.of(tenant);
    let stored_bytes = runtime()?.block_on(paraakh_ingest::store::tenant_bytes(store, tenant))?;
    let opts = VerifyOptions {
        backend_key: Some(backend_key.clone()),
        // Recorded offline and uploaded as it ran: only the machine vouches
        // for what it recorded; the backend's receipts still cover it.
        accept_machine_attested: true,
        threads: 1,
        ..VerifyOptions::default()
    };
    let next = Mutex::new(expected.iter());
    let results = Mutex::new(Vec::with_capacity(expected.len()));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let rt = match runtime() {
                    Ok(rt) => rt,
                    Err(e) => {
                        lock(&results).push(Err(e.to_string()));
                        return;
                    }
                };
                loop {
                    // Taken, then the lock let go before the work.
                    let Some(e) = lock(&next).next() else {
                        return;
                    };
                    let problem = check_one(rt, e, tenant, store, &opts, work);
                    lock(&results).push(match problem {
                        Some(p) => Err(format!("{}: {p}", e.session_id)),
                        None => Ok(()),
                    });
                }
            });
        }
    });
    let mut report = CheckReport {
        stored_bytes,
        ..CheckReport::default()
    };
    for r in results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        match r {
            Ok(()) => report.verified += 1,
            Err(f) => report.failures.push(f),
        }
    }
    report.failures.sort();
    Ok(report)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What is wrong with the backend's copy of one session, if anything.
fn check_one(
    rt: &tokio::runtime::Runtime,
    e: &Expected,
    tenant: &str,
    store: &paraakh_ingest::stores::Store,
    opts: &VerifyOptions,
    work: &Path,
) -> Option<String> {
    let out = work.join("check").join(&e.session_id);
    let session = SessionStore::new(std::sync::Arc::clone(store), tenant, &e.session_id);
    let problem = match rt.block_on(paraakh_ingest::export::export(&session, &out)) {
        Err(err) => Some(format!("cannot be read back: {err}")),
        Ok(done) if done.records != e.records => Some(format!(
            "the backend holds {} of its {} records",
            done.records, e.records
        )),
        Ok(_) => match verify(&out, opts) {
            Err(err) => Some(format!("does not verify: {err}")),
            Ok(r) if r.status != Status::Intact => Some(format!(
                "verifies as {:?}: {}",
                r.status,
                r.findings
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Ok(r) if r.receipts.cosigned_size != e.records => Some(format!(
                "receipts cover {} of its {} records",
                r.receipts.cosigned_size, e.records
            )),
            Ok(_) => None,
        },
    };
    let _ = std::fs::remove_dir_all(&out);
    problem
}
