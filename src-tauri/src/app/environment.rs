//! The environment record of a starting exam: how this machine was really
//! set up and watched, and every setting that differs from the policy with
//! who set it (the evidence says it; nothing is downgraded silently).

use paraakh_engine::preflight::PreflightReport;
use paraakh_engine::session::{Deviation, Environment, LaunchSource};

use super::App;

impl App {
    /// How this machine is set up for the exam, for the evidence.
    pub(super) fn environment(
        &self,
        joined: bool,
        policy: &paraakh_policy::Policy,
        check: PreflightReport,
        mut guards: Vec<(String, String)>,
    ) -> Environment {
        let launch = match &self.launch.path {
            Some(path) => LaunchSource::LaunchFile {
                path: path.display().to_string(),
                signed_by: self.launch.signed_by.clone(),
            },
            None => LaunchSource::App {
                exam_from: match (joined, &self.launch.package) {
                    (true, _) => "a join link".to_owned(),
                    (false, Some(p)) => format!("the exam package {}", p.display()),
                    (false, None) => "the exam package opened".to_owned(),
                },
            },
        };
        let mut env = Environment {
            session: Some(check.session),
            system_check: check.items,
            launch: Some(launch),
            managed: self.install().is_ok_and(|i| i.locked),
            development_build: cfg!(debug_assertions),
            ..Environment::default()
        };
        let set_by = env.set_by();
        let mut differs = |setting: &str, policy: &str, actual: String| {
            env.deviations.push(Deviation {
                setting: setting.into(),
                policy: policy.into(),
                actual,
                set_by: set_by.clone(),
            });
        };
        let l = &self.launch;
        if !l.kiosk() {
            differs(
                "kiosk",
                "fullscreen, on top, keyboard grabbed; leaving it recorded",
                "an ordinary window: focus loss and leaving fullscreen are not recorded".into(),
            );
        }
        if l.proctor_unlock_code.is_some() {
            differs(
                "proctor code",
                "the tenant's code",
                "a code set by the launch file".into(),
            );
        }
        if let Some(candidate) = &l.candidate {
            differs(
                "candidate",
                "the candidate the join link names",
                format!("{candidate} (whose extra time applies)"),
            );
        }
        if let Some(server) = &l.server {
            differs(
                "server",
                "the tenant's backend",
                format!("uploads to {server}"),
            );
        }
        if let Some(secs) = l.checkpoint_seconds {
            differs("checkpoints", "every 30 s", format!("every {secs} s"));
        }
        // The app's own guards that a setting keeps from starting.
        let off = format!("switched off by {set_by}");
        if !l.kiosk() {
            for guard in ["keyboard grab", "focus guard", "fullscreen watch"] {
                guards.push((guard.into(), off.clone()));
            }
        }
        if !l.lockdown.unwrap_or(true) && policy.keyboard.enabled {
            if policy.keyboard.block_copy_out {
                guards.push(("copy-out guard".into(), off.clone()));
            }
            if policy.keyboard.clear_clipboard {
                guards.push(("clipboard clearing".into(), off.clone()));
            }
        }
        env.guards_unavailable = guards;
        env
    }
}
