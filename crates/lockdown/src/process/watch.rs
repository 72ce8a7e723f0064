//! The guard running through the exam: new programs are looked at as they
//! start (kernel exec events where the system gives them, polling the
//! process list otherwise), and each prohibited one becomes an event, once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::{Clock, Timestamp};
use paraakh_signal::Producer;
use serde::Serialize;

use super::guard::{EndOutcome, Finding, ProcessGuard};
use crate::error::LockdownError;

/// A prohibited program seen during the exam.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessEvent {
    /// When the guard saw it.
    pub at: Timestamp,
    /// The process and what it is.
    pub finding: Finding,
    /// It was already running when the watch started.
    pub running_at_start: bool,
    /// What ending it did, when the policy says to end it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<EndOutcome>,
}

/// How new programs are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchSource {
    /// Kernel exec events, with a slower poll as a safety net.
    ExecEvents,
    /// Polling the process list.
    Polling,
}

/// Poll interval without exec events: the latency budget is 500 ms.
const POLL: Duration = Duration::from_millis(200);
/// Poll interval with exec events (they miss nothing unless overrun).
const POLL_WITH_EVENTS: Duration = Duration::from_secs(2);
/// How often everything is looked at again (a long-running process that
/// started another program in place, `exec`, keeps its pid).
const FULL_SCAN_EVERY: u32 = 10;

/// The guard on its own thread.
pub struct ProcessWatch {
    thread: Producer<ProcessEvent>,
    source: WatchSource,
}

impl std::fmt::Debug for ProcessWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessWatch")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

struct Watcher {
    guard: ProcessGuard,
    end_prohibited: bool,
    clock: Arc<dyn Clock>,
    /// (pid, start time, program) already reported.
    reported: HashSet<(u32, u64, String)>,
    /// Process names by pid at the last listing.
    known: HashMap<u32, String>,
    first_pass: bool,
}

impl Watcher {
    /// Events for the findings not reported before (ending each when asked).
    fn report(&mut self, findings: Vec<Finding>) -> Vec<ProcessEvent> {
        let mut events = Vec::new();
        for finding in findings {
            let key = (
                finding.process.pid,
                finding.process.start_time,
                finding.found.program_id.clone(),
            );
            if !self.reported.insert(key) {
                continue;
            }
            // Ending is for programs started during the exam (the policy's
            // `kill`); one already running blocks the start instead.
            let ended = (self.end_prohibited && !self.first_pass).then(|| self.guard.end(&finding));
            events.push(ProcessEvent {
                at: self.clock.now(),
                finding,
                running_at_start: self.first_pass,
                ended,
            });
        }
        events
    }

    /// New pids, and pids whose name changed (a program started in place).
    fn poll(&mut self) -> Vec<ProcessEvent> {
        let now = list_processes();
        let changed: Vec<u32> = now
            .iter()
            .filter(|(pid, name)| self.known.get(pid) != Some(name))
            .map(|(pid, _)| *pid)
            .collect();
        self.known = now;
        if changed.is_empty() {
            return Vec::new();
        }
        let found = self.guard.inspect(&changed);
        self.report(found)
    }

    fn inspect(&mut self, pids: &[u32]) -> Vec<ProcessEvent> {
        let found = self.guard.inspect(pids);
        self.report(found)
    }

    fn full_scan(&mut self) -> Vec<ProcessEvent> {
        let found = self.guard.running();
        self.report(found)
    }
}

/// Pids and process names, as cheaply as the system allows.
#[cfg(target_os = "linux")]
fn list_processes() -> HashMap<u32, String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            (pid, comm.trim_end().to_owned())
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn list_processes() -> HashMap<u32, String> {
    let mut s = sysinfo::System::new().ok();
    s.as_mut()
        .map(|s| {
            s.refresh_processes(sysinfo::ProcessesToUpdate::All, true);
            s.processes()
                .iter()
                .map(|(pid, p)| (pid.as_u32(), p.name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// How the watch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// End each prohibited program that starts during the watch (the
    /// policy's `kill`); those already running are reported, not ended.
    pub end_prohibited: bool,
    /// Events kept for a slow reader.
    pub capacity: usize,
    /// Use kernel exec events where the system gives them (otherwise poll).
    pub exec_events: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            end_prohibited: false,
            capacity: 256,
            exec_events: true,
        }
    }
}

impl ProcessWatch {
    /// Looks at every process, then starts watching. Prohibited programs
    /// already running are reported first (`running_at_start`), then each
    /// one that starts.
    pub fn start(
        guard: ProcessGuard,
        options: WatchOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LockdownError> {
        let WatchOptions {
            end_prohibited,
            capacity,
            exec_events: want_exec_events,
        } = options;
        #[cfg(target_os = "linux")]
        let exec_events = if want_exec_events {
            crate::linux::proc_events::ExecEvents::subscribe()
        } else {
            None
        };
        #[cfg(not(target_os = "linux"))]
        let _ = want_exec_events;
        #[cfg(target_os = "linux")]
        let source = if exec_events.is_some() {
            WatchSource::ExecEvents
        } else {
            WatchSource::Polling
        };
        #[cfg(not(target_os = "linux"))]
        let source = WatchSource::Polling;
        let mut w = Watcher {
            guard,
            end_prohibited,
            clock,
            reported: HashSet::new(),
            known: HashMap::new(),
            first_pass: true,
        };
        // The first look happens before `start` returns: what is running
        // now is known (and queued) when the exam begins.
        w.known = list_processes();
        let first = w.full_scan();
        w.first_pass = false;
        let thread = Producer::spawn("paraakh-process-guard", capacity, first, move |q, stop| {
            #[cfg(target_os = "linux")]
            let mut exec_events = exec_events;
            let interval = if source == WatchSource::ExecEvents {
                POLL_WITH_EVENTS
            } else {
                POLL
            };
            let mut next_poll = Instant::now() + interval;
            let mut polls = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let mut events = Vec::new();
                #[cfg(target_os = "linux")]
                if let Some(ev) = exec_events.as_mut() {
                    use crate::linux::proc_events::Received;
                    match ev.receive() {
                        Received::Execs(pids) if !pids.is_empty() => events = w.inspect(&pids),
                        Received::Execs(_) => {}
                        Received::Overrun => events = w.full_scan(),
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(20));
                }
                #[cfg(not(target_os = "linux"))]
                std::thread::sleep(Duration::from_millis(20));
                if Instant::now() >= next_poll {
                    polls += 1;
                    if polls.is_multiple_of(FULL_SCAN_EVERY) {
                        events.extend(w.full_scan());
                    } else {
                        events.extend(w.poll());
                    }
                    next_poll = Instant::now() + interval;
                }
                for e in events {
                    q.push(e);
                }
            }
        })
        .map_err(|e| LockdownError::Processes {
            reason: format!("cannot start the process guard thread: {e}"),
        })?;
        Ok(Self { thread, source })
    }

    /// How new programs are noticed.
    pub fn source(&self) -> WatchSource {
        self.source
    }

    /// The next event, waiting at most `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<ProcessEvent> {
        self.thread.next(timeout)
    }

    /// Events lost because nobody read them in time.
    pub fn dropped_events(&self) -> u64 {
        self.thread.dropped()
    }

    /// Whether the watching has ended by itself (its thread is gone).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}
