//! The environment record: how this machine was really set up for the
//! exam, written at the start of every segment so a reviewer never trusts a
//! clean log that was watched less than the policy says. It names the
//! desktop session and how that was determined, the system check as the
//! candidate passed it, the client build, where the settings came from,
//! and every setting that differs from the signed policy, with who allowed
//! it. Monitors switched off by a setting are `monitor_unavailable` records
//! too (see `open`).

use paraakh_lockdown::session_type::SessionType;
use paraakh_policy::Policy;
use serde::Serialize;

use crate::preflight::CheckItem;
use crate::sources::{CameraSpec, MicrophoneSpec, ScreenSpec, Sources};

/// Where the exam's settings came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LaunchSource {
    /// `paraakh session run` (a script or a developer).
    CommandLine,
    /// The app with no launch file: a join link or an exam package the
    /// candidate opened.
    App {
        /// Where the exam came from ("a join link", "the exam package FILE").
        exam_from: String,
    },
    /// The app with a launch file.
    LaunchFile {
        /// Its path.
        path: String,
        /// The centre key that signed it (`None`: unsigned).
        #[serde(skip_serializing_if = "Option::is_none")]
        signed_by: Option<String>,
    },
}

impl LaunchSource {
    /// For people.
    pub fn describe(&self) -> String {
        match self {
            Self::CommandLine => "the command line".into(),
            Self::App { exam_from } => {
                format!("the app (no launch file; the exam from {exam_from})")
            }
            Self::LaunchFile {
                path,
                signed_by: Some(key),
            } => format!("the launch file {path}, signed by {key}"),
            Self::LaunchFile {
                path,
                signed_by: None,
            } => format!("the launch file {path} (unsigned)"),
        }
    }
}

/// A setting that differs from what the signed policy asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deviation {
    /// The setting (`kiosk`, `processes`, `camera source`, ...).
    pub setting: String,
    /// What the policy asks.
    pub policy: String,
    /// What this session does.
    pub actual: String,
    /// Who set it so.
    pub set_by: String,
}

/// What the caller knows about the machine and the launch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Environment {
    /// The desktop session; `None` when not asked (a script's session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionType>,
    /// The system check's items as the candidate passed it (empty: none ran).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system_check: Vec<CheckItem>,
    /// Where the settings came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch: Option<LaunchSource>,
    /// A managed configuration (`lock = true`) governs this installation.
    pub managed: bool,
    /// A development build (it accepts unsigned launch files that loosen
    /// the policy; a release build refuses them).
    pub development_build: bool,
    /// Settings the caller changed from the policy (the engine adds the
    /// capture sources and the watches it sees itself).
    pub deviations: Vec<Deviation>,
    /// Lockdown guards of the caller's that did not start: (guard, why).
    /// Each is a `guard_unavailable` record.
    #[serde(skip)]
    pub guards_unavailable: Vec<(String, String)>,
}

impl Environment {
    /// This machine's desktop session, asked now, and where the settings came from.
    pub fn here(launch: LaunchSource) -> Self {
        Self {
            session: Some(paraakh_lockdown::session_type::detect()),
            launch: Some(launch),
            ..Self::default()
        }
    }

    /// The deviations the session's own settings show: replayed sources,
    /// a capture the policy needs with no source, watches switched off.
    pub(crate) fn observed_deviations(
        &self,
        policy: &Policy,
        sources: &Sources,
        watch_processes: bool,
        watch_displays: bool,
    ) -> Vec<Deviation> {
        let set_by = self.set_by();
        let mut out = self.deviations.clone();
        let mut add = |setting: &str, policy: &str, actual: String| {
            out.push(Deviation {
                setting: setting.into(),
                policy: policy.into(),
                actual,
                set_by: set_by.clone(),
            });
        };
        if policy.face.enabled {
            match &sources.camera {
                Some(CameraSpec::Replay(p)) => add(
                    "camera source",
                    "this computer's camera",
                    format!("replayed from {}", p.display()),
                ),
                None => add("camera source", "this computer's camera", "none".into()),
                Some(CameraSpec::Device(_)) => {}
            }
        }
        if policy.voice.enabled {
            match &sources.microphone {
                Some(MicrophoneSpec::Replay(p)) => add(
                    "microphone source",
                    "this computer's microphone",
                    format!("replayed from {}", p.display()),
                ),
                None => add(
                    "microphone source",
                    "this computer's microphone",
                    "none".into(),
                ),
                Some(MicrophoneSpec::Device(_)) => {}
            }
        }
        if policy.screen.enabled {
            match &sources.screen {
                Some(ScreenSpec::Replay(p)) => add(
                    "screen source",
                    "this computer's screens",
                    format!("replayed from {}", p.display()),
                ),
                None => add("screen source", "this computer's screens", "none".into()),
                Some(ScreenSpec::Desktop) => {}
            }
        }
        if !watch_processes && (policy.processes.enabled || policy.remote_session.enabled) {
            add("processes", "watched", "not watched".into());
        }
        if !watch_displays && policy.displays.enabled {
            add("displays", "watched", "not watched".into());
        }
        let k = &policy.keyboard;
        if !watch_displays
            && k.enabled
            && (k.synthetic_input.enabled || k.input_device_added.enabled)
        {
            add("input devices", "watched", "not watched".into());
        }
        out
    }

    /// Who set what differs from the policy, in words: the launch source,
    /// and that a development build accepted it unsigned.
    pub fn set_by(&self) -> String {
        let mut s = self
            .launch
            .as_ref()
            .map_or_else(|| "the caller".to_owned(), LaunchSource::describe);
        if self.development_build
            && matches!(
                self.launch,
                Some(LaunchSource::LaunchFile {
                    signed_by: None,
                    ..
                })
            )
        {
            s.push_str(", accepted by a development build");
        }
        s
    }

    /// One line for the record's message.
    pub(crate) fn summary(&self, client: &str, deviations: &[Deviation]) -> String {
        let mut parts = vec![match &self.session {
            Some(s) => format!("Session: {}", s.summary()),
            None => "Session: not checked".to_owned(),
        }];
        parts.push(format!("client {client}"));
        if let Some(l) = &self.launch {
            parts.push(format!("started from {}", l.describe()));
        }
        if self.managed {
            parts.push("managed configuration".into());
        }
        if !self.system_check.is_empty() {
            let flagged: Vec<&str> = self
                .system_check
                .iter()
                .filter(|i| i.status != crate::preflight::Status::Ok)
                .map(|i| i.title)
                .collect();
            parts.push(if flagged.is_empty() {
                "system check passed".into()
            } else {
                format!("system check flagged {}", flagged.join(", "))
            });
        }
        if deviations.is_empty() {
            parts.push("as the policy says".into());
        } else {
            let d: Vec<String> = deviations
                .iter()
                .map(|d| format!("{}: {} (policy: {})", d.setting, d.actual, d.policy))
                .collect();
            parts.push(format!("differs from the policy: {}", d.join("; ")));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn replayed_sources_and_switched_off_watches_are_deviations_set_by_the_launch() {
        let policy =
            paraakh_policy::parse(paraakh_policy::presets::text("strict").unwrap()).unwrap();
        let env = Environment {
            launch: Some(LaunchSource::LaunchFile {
                path: "/tmp/launch.toml".into(),
                signed_by: None,
            }),
            deviations: vec![Deviation {
                setting: "kiosk".into(),
                policy: "on".into(),
                actual: "off".into(),
                set_by: "the launch file /tmp/launch.toml (unsigned)".into(),
            }],
            ..Environment::default()
        };
        let sources = Sources::parse(Some("faces/"), Some("default"), None);
        let d = env.observed_deviations(&policy, &sources, false, true);
        let settings: Vec<&str> = d.iter().map(|d| d.setting.as_str()).collect();
        assert_eq!(
            settings,
            ["kiosk", "camera source", "screen source", "processes"]
        );
        assert!(d[1].actual.starts_with("replayed from faces"));
        assert!(d[3].set_by.contains("(unsigned)"));
        let line = env.summary("paraakh-app 1", &d);
        assert!(
            line.contains("differs from the policy: kiosk: off"),
            "{line}"
        );
        assert!(line.contains("Session: not checked"), "{line}");

        let plain = Environment::default();
        let none = plain.observed_deviations(&policy, &Sources::devices(), true, true);
        assert!(none.is_empty(), "{none:?}");
        assert!(plain.summary("x", &none).ends_with("as the policy says"));
    }
}
