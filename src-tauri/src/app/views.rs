//! What the app's commands answer with: the join screen's exam, the launch
//! state, the candidate's paper, the receipt, and the online exam's bar.

use paraakh_engine::exam::ExamSummary;
use paraakh_policy::exam::Question;
use serde::Serialize;

use crate::run::SyncStatus;

/// An exam offered on the join screen.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Offered {
    #[serde(flatten)]
    pub(super) exam: ExamSummary,
    /// Joined by link and still sealed: when the server releases the
    /// questions (POSIX seconds); the join screen waits for it.
    pub(super) questions_from: Option<i64>,
}

/// What the app shows first.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LaunchState {
    pub(super) phase: &'static str,
    pub(super) exam: Option<Offered>,
    pub(super) resume: Option<ResumeInfo>,
    /// After an online exam: the receipt (the app's page came back).
    pub(super) receipt: Option<SubmitReceipt>,
    pub(super) time_up: bool,
    pub(super) join_link: Option<String>,
    pub(super) version: &'static str,
}

/// An interrupted exam the app can take the candidate back into.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ResumeInfo {
    pub(super) session_id: String,
    pub(super) exam_title: String,
    /// When it was last saved (RFC 3339, UTC).
    pub(super) stopped_at: String,
    pub(super) needs_proctor_code: bool,
}

/// The questions and the clock, once the exam has started.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExamPaper {
    pub(super) session_id: String,
    pub(super) title: String,
    pub(super) instructions: String,
    pub(super) questions: Vec<Question>,
    pub(super) answers: serde_json::Map<String, serde_json::Value>,
    pub(super) started_at_ms: u64,
    pub(super) ends_at_ms: u64,
    pub(super) extra_time_percent: u32,
    pub(super) resumed: bool,
    /// Copy and paste stay inside the exam (`block_copy_out`): the page
    /// keeps its own clipboard and leaves the desktop's alone.
    pub(super) private_clipboard: bool,
    /// An online exam: the origin of its page (the questions are there).
    pub(super) online_origin: Option<String>,
}

/// A picture of the system check's camera, and what it shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Preview {
    /// `data:image/jpeg;base64,…`
    pub(crate) image: String,
    #[serde(flatten)]
    pub(crate) frame: paraakh_engine::preview::PreviewFrame,
}

/// An answer in the evidence: its record.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Saved {
    pub(crate) seq: u64,
}

/// The online exam's bar, as the app's state says.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) enum OnlineBar {
    /// The state is being changed: ask again at the next tick.
    Busy,
    /// No online exam page is open.
    Hidden,
    /// The exam's page is open.
    Shown {
        title: String,
        site: String,
        ends_at_ms: u64,
    },
}

/// What the receipt screen shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SubmitReceipt {
    pub(super) session_id: String,
    pub(super) submitted_at: String,
    pub(super) answered: usize,
    pub(super) total: usize,
    pub(super) seq: u64,
    #[serde(flatten)]
    pub(super) status: SyncStatus,
}

#[cfg(test)]
mod tests {
    //! One example of every form each command answers with, written to
    //! `ui/src/test/command-replies.json`; `ui/src/replies.test.ts` holds
    //! every example against the UI's types (`ui/src/api.ts`) exactly.
    #![allow(clippy::unwrap_used)]

    use paraakh_engine::preflight::{CheckItem, PreflightReport, Status};
    use paraakh_engine::preview::{MeterLevel, PreviewFace, PreviewFrame};
    use paraakh_lockdown::session_type::{
        Lockdown, Observation, SessionKind, SessionType, Witness,
    };
    use serde_json::{Value, json};

    use super::*;
    use crate::run::SyncState;

    fn summary(unlocked: bool) -> ExamSummary {
        ExamSummary {
            tenant: "acme".into(),
            tenant_name: "Acme University".into(),
            exam_id: "chem-101".into(),
            title: "Chemistry 101".into(),
            duration_minutes: 90,
            extra_time_percent: 25,
            opens_at: 1_800_000_000,
            closes_at: 1_800_086_400,
            unlocked,
            question_count: unlocked.then_some(2),
        }
    }

    fn status(confirmed: bool) -> SyncStatus {
        SyncStatus {
            synced: if confirmed {
                SyncState::Synced
            } else {
                SyncState::Offline
            },
            cosigned_size: if confirmed { 42 } else { 0 },
            records: 42,
            message: "Your exam is safe on this computer.".into(),
            delete_after: confirmed.then(|| "2027-01-06".into()),
        }
    }

    fn receipt(confirmed: bool) -> SubmitReceipt {
        SubmitReceipt {
            session_id: "s-1".into(),
            submitted_at: "2026-12-07T10:00:00Z".into(),
            answered: 1,
            total: 2,
            seq: 41,
            status: status(confirmed),
        }
    }

    fn questions() -> Vec<Question> {
        let mut choice: Question = serde_json::from_value(json!({
            "id": "q1", "kind": "single_choice", "prompt": "H2O is", "points": 1.0,
        }))
        .unwrap();
        choice.choices = Some(vec!["water".into(), "salt".into()]);
        let essay = Question {
            id: "q2".into(),
            kind: "essay".into(),
            prompt: "Explain".into(),
            points: 4.5,
            choices: None,
            max_chars: Some(2000),
            max_words: Some(300),
        };
        vec![choice, essay]
    }

    fn paper(online: bool) -> ExamPaper {
        let mut answers = serde_json::Map::new();
        answers.insert("q1".into(), json!(0));
        ExamPaper {
            session_id: "s-1".into(),
            title: "Chemistry 101".into(),
            instructions: "Answer both.".into(),
            questions: questions(),
            answers,
            started_at_ms: 1_800_000_000_000,
            ends_at_ms: 1_800_006_750_000,
            extra_time_percent: 25,
            resumed: online,
            private_clipboard: !online,
            online_origin: online.then(|| "https://exam.acme.example".into()),
        }
    }

    fn check_report() -> PreflightReport {
        PreflightReport {
            policy: "standard".into(),
            items: vec![
                CheckItem {
                    id: "camera",
                    title: "Camera",
                    status: Status::Ok,
                    detail: "a face is seen".into(),
                    fix: None,
                },
                CheckItem {
                    id: "displays",
                    title: "Displays",
                    status: Status::Blocking,
                    detail: "two displays".into(),
                    fix: Some("unplug the second display".into()),
                },
            ],
            session: SessionType {
                kind: SessionKind::X11,
                decided_by: Some(Witness::XServer),
                observations: vec![Observation {
                    witness: Witness::XServer,
                    says: SessionKind::X11,
                    detail: "Xorg answers on :0".into(),
                }],
                disagreement: None,
                x_display: Some(":0".into()),
                x_server: None,
                nested: None,
                window_manager: None,
                exam_session: None,
                lockdown: Lockdown::DesktopKiosk,
            },
        }
    }

    fn launch(phase: &'static str) -> LaunchState {
        LaunchState {
            phase,
            exam: (phase != "join").then(|| Offered {
                exam: summary(true),
                questions_from: None,
            }),
            resume: (phase == "resume").then(|| ResumeInfo {
                session_id: "s-1".into(),
                exam_title: "Chemistry 101".into(),
                stopped_at: "2026-12-07T10:00:00Z".into(),
                needs_proctor_code: true,
            }),
            receipt: (phase == "receipt").then(|| receipt(true)),
            time_up: phase == "receipt",
            join_link: (phase == "join").then(|| "paraakh://join?...".into()),
            version: "0.1.0",
        }
    }

    fn to(v: impl Serialize) -> Value {
        serde_json::to_value(v).unwrap()
    }

    /// What each command answers with: every form (each optional field
    /// there and left out, each nullable field null and not).
    fn replies() -> serde_json::Map<String, Value> {
        let offered = |sealed: bool| Offered {
            exam: summary(!sealed),
            questions_from: sealed.then_some(1_800_000_000),
        };
        let frame = PreviewFrame {
            jpeg: Vec::new(),
            width: 640,
            height: 480,
            faces: vec![PreviewFace {
                x: 200.0,
                y: 120.0,
                width: 180.0,
                height: 200.0,
                score: 0.93,
            }],
            quality: paraakh_detect::Visibility::Ok,
            message: "Your face is clearly visible.".into(),
        };
        let policy =
            paraakh_policy::parse(paraakh_policy::presets::text("standard").unwrap()).unwrap();
        let consent = paraakh_engine::exam::consent_terms(
            &policy,
            "Chemistry 101",
            "Acme University",
            Some("https://exams.acme.example"),
        );
        let none = || vec![Value::Null];
        let pairs: Vec<(&str, Vec<Value>)> = vec![
            (
                "launch_state",
                ["join", "resume", "receipt"]
                    .map(|p| to(launch(p)))
                    .to_vec(),
            ),
            (
                "join_with_link",
                vec![to(offered(true)), to(offered(false))],
            ),
            (
                "open_joined_exam",
                vec![to(offered(true)), to(offered(false))],
            ),
            ("unlock_exam", vec![to(summary(true))]),
            ("run_system_check", vec![to(check_report())]),
            (
                "camera_preview",
                vec![to(Preview {
                    image: "data:image/jpeg;base64,/9j/".into(),
                    frame,
                })],
            ),
            (
                "microphone_level",
                vec![to(MeterLevel {
                    rms_dbfs: -32.5,
                    peak_dbfs: -12.0,
                })],
            ),
            ("consent_terms", vec![to(consent)]),
            ("start_exam", vec![to(paper(false)), to(paper(true))]),
            ("open_online_exam", none()),
            ("save_answer", vec![to(Saved { seq: 7 })]),
            ("report_window_event", none()),
            ("submit_exam", vec![to(receipt(true)), to(receipt(false))]),
            ("sync_status", vec![to(status(true)), to(status(false))]),
            ("proctor_unlock", none()),
            ("confirm_held", none()),
            ("quit_app", none()),
        ];
        pairs
            .into_iter()
            .map(|(name, forms)| (name.to_owned(), Value::Array(forms)))
            .collect()
    }

    /// The UI's types (ui/src/api.ts) are checked against these
    /// (ui/src/replies.test.ts reads the fixture).
    #[test]
    fn the_ui_has_the_replies_the_commands_send() {
        let replies = replies();
        let named: Vec<&str> = replies.keys().map(String::as_str).collect();
        let mut commands = crate::commands::NAMES.to_vec();
        commands.sort_unstable();
        assert_eq!(named, commands, "every command has its replies here");
        paraakh_test_rig::fixture::check_json(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../ui/src/test/command-replies.json"),
            &json!({
                "about": "Written by src-tauri/src/app/views.rs (tests): every form each command answers with. Do not edit; regenerate with PARAAKH_UPDATE_FIXTURES=1 cargo test -p paraakh-app --bin paraakh-app views",
                "replies": replies,
            }),
            "cargo test -p paraakh-app --bin paraakh-app views",
        );
    }
}
