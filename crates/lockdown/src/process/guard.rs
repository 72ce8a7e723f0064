//! Looking at processes: every prohibited one running now (the start
//! check), the ones among a few new pids (the watch), and ending one.

use std::time::{Duration, Instant};

use serde::Serialize;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

use super::ProcessInfo;
use super::content::ContentScanner;
use super::matcher::{Match, Matcher};
use crate::error::LockdownError;

/// A prohibited program found running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The process.
    pub process: ProcessInfo,
    /// What it is and how it was recognised.
    #[serde(rename = "match")]
    pub found: Match,
}

/// What happened when the guard ended a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
#[non_exhaustive]
pub enum EndOutcome {
    /// It was ended.
    Ended,
    /// It had already exited.
    AlreadyGone,
    /// The guard does not end this process (itself, its parents, init).
    Refused(String),
    /// The system did not let it (another user's process, ...).
    Failed(String),
}

/// How long an ended process may take to disappear.
const END_WAIT: Duration = Duration::from_secs(1);

/// Looks at processes for a [`Matcher`].
#[derive(Debug)]
pub struct ProcessGuard {
    matcher: Matcher,
    content: ContentScanner,
    system: System,
    protected: Vec<u32>,
}

fn refresh_kind() -> ProcessRefreshKind {
    ProcessRefreshKind::nothing()
        .with_exe(UpdateKind::OnlyIfNotSet)
        .with_cmd(UpdateKind::OnlyIfNotSet)
        .with_user(UpdateKind::OnlyIfNotSet)
}

fn info_of(p: &sysinfo::Process) -> Option<ProcessInfo> {
    // Threads are listed as processes on some systems; kernel threads have
    // neither an executable nor a command line (their names are not
    // programs).
    if p.thread_kind().is_some() || (p.exe().is_none() && p.cmd().is_empty()) {
        return None;
    }
    Some(ProcessInfo {
        pid: p.pid().as_u32(),
        parent: p.parent().map(Pid::as_u32),
        name: p.name().to_string_lossy().into_owned(),
        exe: p.exe().map(ToOwned::to_owned),
        cmdline: p
            .cmd()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        uid: p.user_id().and_then(|u| u.to_string().parse().ok()),
        start_time: p.start_time(),
    })
}

impl ProcessGuard {
    /// A guard looking for what `matcher` prohibits.
    pub fn new(matcher: Matcher) -> Result<Self, LockdownError> {
        let mut system = System::new().map_err(|e| LockdownError::Processes {
            reason: e.to_string(),
        })?;
        system.refresh_processes_specifics(ProcessesToUpdate::All, true, refresh_kind());
        // Never end ourselves or what started us (the app, the session).
        let mut protected = vec![1, std::process::id()];
        let mut next = system
            .process(Pid::from_u32(std::process::id()))
            .and_then(sysinfo::Process::parent);
        while let Some(pid) = next {
            if protected.contains(&pid.as_u32()) {
                break;
            }
            protected.push(pid.as_u32());
            next = system.process(pid).and_then(sysinfo::Process::parent);
        }
        Ok(Self {
            content: ContentScanner::new(matcher.markers()),
            matcher,
            system,
            protected,
        })
    }

    /// What it looks for.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Bytes of executables read for markers so far.
    pub fn bytes_scanned(&self) -> u64 {
        self.content.bytes_read()
    }

    /// Every process now, as the guard sees them.
    pub fn processes(&mut self) -> Vec<ProcessInfo> {
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::All, true, refresh_kind());
        let mut all: Vec<ProcessInfo> = self
            .system
            .processes()
            .values()
            .filter_map(info_of)
            .collect();
        all.sort_by_key(|p| p.pid);
        all
    }

    /// Every prohibited program running now, lowest pid first.
    pub fn running(&mut self) -> Vec<Finding> {
        let all = self.processes();
        all.into_iter().filter_map(|p| self.check(p)).collect()
    }

    /// The prohibited programs among `pids` (new processes, or processes
    /// that started another program in place).
    pub fn inspect(&mut self, pids: &[u32]) -> Vec<Finding> {
        let wanted: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
        // Read again: what was seen between fork and exec is stale now.
        let fresh = ProcessRefreshKind::nothing()
            .with_exe(UpdateKind::Always)
            .with_cmd(UpdateKind::Always)
            .with_user(UpdateKind::OnlyIfNotSet);
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::Some(&wanted), true, fresh);
        let infos: Vec<ProcessInfo> = wanted
            .iter()
            .filter_map(|p| self.system.process(*p))
            .filter_map(info_of)
            .collect();
        infos.into_iter().filter_map(|p| self.check(p)).collect()
    }

    fn check(&mut self, p: ProcessInfo) -> Option<Finding> {
        if p.pid == std::process::id() {
            return None;
        }
        let found = self.matcher.check(&p, Some(&mut self.content))?;
        Some(Finding { process: p, found })
    }

    /// Ends the process of `finding`, if it is still that process.
    pub fn end(&mut self, finding: &Finding) -> EndOutcome {
        let pid = finding.process.pid;
        if self.protected.contains(&pid) {
            return EndOutcome::Refused(
                "it is this program or one of the programs that started it".into(),
            );
        }
        platform::end(pid, finding.process.start_time, &mut self.system)
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use rustix::process::{Pid as RPid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

    use super::*;

    /// The process state letter from /proc/PID/stat (`Z` zombie, ...).
    fn state(pid: u32) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit(')').next()?.trim_start().chars().next()
    }

    pub(super) fn end(pid: u32, start_time: u64, system: &mut System) -> EndOutcome {
        let Some(rpid) = i32::try_from(pid).ok().and_then(RPid::from_raw) else {
            return EndOutcome::Failed(format!("{pid} is not a process id"));
        };
        // A pidfd pins the process: if the pid is reused after this check,
        // the signal still goes to the one we looked at (or fails).
        let fd = match pidfd_open(rpid, PidfdFlags::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::SRCH) => return EndOutcome::AlreadyGone,
            Err(e) => return EndOutcome::Failed(e.to_string()),
        };
        let spid = Pid::from_u32(pid);
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[spid]),
            true,
            ProcessRefreshKind::nothing(),
        );
        match system.process(spid) {
            Some(p) if p.start_time() == start_time => {}
            _ => return EndOutcome::AlreadyGone,
        }
        match pidfd_send_signal(&fd, Signal::KILL) {
            Ok(()) => {}
            Err(rustix::io::Errno::SRCH) => return EndOutcome::AlreadyGone,
            Err(rustix::io::Errno::PERM) => {
                return EndOutcome::Failed(
                    "not permitted (it belongs to another user or to the system)".into(),
                );
            }
            Err(e) => return EndOutcome::Failed(e.to_string()),
        }
        let deadline = Instant::now() + END_WAIT;
        loop {
            // Gone, or a zombie waiting for its parent: it runs no more.
            match state(pid) {
                None | Some('Z') | Some('X') => return EndOutcome::Ended,
                Some(_) if Instant::now() > deadline => {
                    return EndOutcome::Failed("it did not exit within 1 s of SIGKILL".into());
                }
                Some(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::*;

    // Built on other systems, not tested there.
    pub(super) fn end(pid: u32, start_time: u64, system: &mut System) -> EndOutcome {
        let spid = Pid::from_u32(pid);
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[spid]),
            true,
            ProcessRefreshKind::nothing(),
        );
        match system.process(spid) {
            Some(p) if p.start_time() == start_time => {
                if !p.kill() {
                    return EndOutcome::Failed("the system refused".into());
                }
                let deadline = Instant::now() + END_WAIT;
                while Instant::now() < deadline {
                    system.refresh_processes_specifics(
                        ProcessesToUpdate::Some(&[spid]),
                        true,
                        ProcessRefreshKind::nothing(),
                    );
                    if system.process(spid).is_none() {
                        return EndOutcome::Ended;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                EndOutcome::Failed("it did not exit within 1 s".into())
            }
            _ => EndOutcome::AlreadyGone,
        }
    }
}
