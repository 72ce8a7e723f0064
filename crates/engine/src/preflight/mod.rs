//! The system check before an exam: every item the candidate must fix
//! before starting, in plain words, judged under the exam's policy.
//!
//! Each item is `ok`, `warning` (the exam can start; what was found is
//! recorded) or `blocking` (the exam cannot start until it is fixed). What
//! blocks comes from the policy: a rule whose action is `block_start`
//! blocks, any other enabled rule warns. A device the policy needs that
//! does not work always blocks: the exam could not be proctored.

mod devices;
mod system;

use std::path::PathBuf;

use paraakh_lockdown::session_type::SessionType;
use paraakh_policy::{Action, Policy, Rule};
use serde::Serialize;

/// How an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fine.
    Ok,
    /// The exam can start; the finding is recorded and may be reviewed.
    Warning,
    /// The exam cannot start until this is fixed.
    Blocking,
}

/// One line of the system check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    /// Stable id (`camera`, `microphone`, `processes`, ...).
    pub id: &'static str,
    /// What was checked, for people.
    pub title: &'static str,
    /// How it stands.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (warning and blocking items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl CheckItem {
    fn ok(id: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            id,
            title,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn with(
        id: &'static str,
        title: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let fix = fix.into();
        Self {
            id,
            title,
            status,
            detail: detail.into(),
            fix: (status != Status::Ok && !fix.is_empty()).then_some(fix),
        }
    }
}

/// The whole check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightReport {
    /// The policy it was judged under.
    pub policy: String,
    /// Every item, in the order a candidate reads them.
    pub items: Vec<CheckItem>,
    /// The desktop session, with every witness's answer.
    pub session: SessionType,
}

impl PreflightReport {
    /// Whether anything blocks the start.
    pub fn blocks(&self) -> bool {
        self.items.iter().any(|i| i.status == Status::Blocking)
    }

    /// The item with this id.
    pub fn item(&self, id: &str) -> Option<&CheckItem> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The items that block the start.
    pub fn blocking(&self) -> impl Iterator<Item = &CheckItem> {
        self.items.iter().filter(|i| i.status == Status::Blocking)
    }

    /// `Ok` when nothing blocks the start; else the start refused, with
    /// every blocking item.
    pub fn ready(&self) -> Result<(), StartRefused> {
        let items: Vec<CheckItem> = self.blocking().cloned().collect();
        if items.is_empty() {
            Ok(())
        } else {
            Err(StartRefused { items })
        }
    }
}

/// The start refused: the machine, checked (again) at the start, has items
/// that block it. Says each item, what was found and the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartRefused {
    /// The blocking items.
    pub items: Vec<CheckItem>,
}

impl std::fmt::Display for StartRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| match &i.fix {
                Some(fix) => format!("{}: {} ({fix})", i.title, i.detail),
                None => format!("{}: {}", i.title, i.detail),
            })
            .collect();
        write!(
            f,
            "The exam cannot start: the computer was checked again and {}. Fix this, run the system check again and start again.",
            items.join("; ")
        )
    }
}

impl std::error::Error for StartRefused {}

/// What the check needs.
#[derive(Debug, Clone)]
pub struct PreflightOptions {
    /// The exam's policy.
    pub policy: Policy,
    /// Where ONNX Runtime and the models are.
    pub detection: paraakh_detect::RuntimeConfig,
    /// The tenant's backend (`https://host[:port]`), if known.
    pub server: Option<String>,
    /// Where evidence will be written (for the free space).
    pub data_dir: PathBuf,
    /// How long to listen to the microphone, seconds.
    pub listen_seconds: f64,
    /// Expected exam length, minutes (for the free space needed).
    pub exam_minutes: u32,
    /// The capture sources the exam will use (`Sources::devices()`: this machine's).
    pub sources: crate::sources::Sources,
}

/// The status a policy rule gives a finding.
fn by_rule(layer_enabled: bool, rule: &Rule) -> Status {
    if !layer_enabled || !rule.enabled {
        Status::Ok
    } else if rule.action == Action::BlockStart {
        Status::Blocking
    } else {
        Status::Warning
    }
}

/// Runs every check. Takes a few seconds: it opens the camera, listens to
/// the microphone and looks at every process.
pub fn run(options: &PreflightOptions) -> PreflightReport {
    check(options, true)
}

/// Runs the checks of the machine, not of the capture devices (which the
/// session itself records if they fail): what must be checked again at the
/// start, when the candidate may have changed the machine since the check.
pub fn run_machine(options: &PreflightOptions) -> PreflightReport {
    check(options, false)
}

fn check(options: &PreflightOptions, with_devices: bool) -> PreflightReport {
    let p = &options.policy;
    let session = paraakh_lockdown::session_type::detect();
    let mut items = vec![system::session_type(p, &session)];
    let sources = &options.sources;
    if with_devices {
        items.push(devices::camera(p, sources.camera.as_ref()));
        items.push(devices::microphone(
            p,
            options.listen_seconds,
            sources.microphone.as_ref(),
        ));
        items.push(devices::screen_capture(p, sources.screen.as_ref()));
    }
    items.push(system::displays(p, &session));
    items.push(system::virtual_machine(p));
    let (processes_item, processes) = system::processes(p);
    items.push(system::remote_session(p, processes));
    items.push(processes_item);
    items.push(system::disk_space(&options.data_dir, options.exam_minutes));
    items.push(system::clock());
    items.push(system::detection(p, &options.detection));
    items.push(system::backend(p, options.server.as_deref()));
    PreflightReport {
        policy: p.name.clone(),
        items,
        session,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn rules_decide_between_warning_and_blocking() {
        let text = paraakh_policy::presets::text("standard").unwrap();
        let p = paraakh_policy::parse(text).unwrap();
        // standard: remote session blocks, a VM is only logged.
        assert_eq!(by_rule(true, &p.remote_session.detected), Status::Blocking);
        assert_eq!(by_rule(true, &p.virtual_machine.detected), Status::Warning);
        assert_eq!(by_rule(false, &p.remote_session.detected), Status::Ok);
        let item = CheckItem::with("x", "X", Status::Ok, "fine", "do this");
        assert_eq!(item.fix, None, "an ok item needs no fix");
    }

    #[test]
    fn a_blocking_item_refuses_the_start_with_what_to_do() {
        let mut report = PreflightReport {
            policy: "standard".into(),
            items: vec![CheckItem::with(
                "disk_space",
                "Free disk space",
                Status::Warning,
                "low",
                "free some",
            )],
            session: paraakh_lockdown::session_type::decide(Vec::new()),
        };
        assert_eq!(report.ready(), Ok(()));
        report.items.push(CheckItem::with(
            "processes",
            "Programs",
            Status::Blocking,
            "x11vnc (remote access) is running",
            "close x11vnc",
        ));
        let refused = report.ready().unwrap_err();
        assert_eq!(refused.items.len(), 1);
        let text = refused.to_string();
        assert!(
            text.contains("Programs: x11vnc (remote access) is running (close x11vnc)"),
            "{text}"
        );
    }
}
