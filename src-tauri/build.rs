//! The app's own commands are listed here so Tauri generates a permission
//! for each; `capabilities/` grants the exam page exactly these.

const COMMANDS: &[&str] = &[
    "launch_state",
    "join_with_link",
    "open_joined_exam",
    "unlock_exam",
    "run_system_check",
    "camera_preview",
    "microphone_level",
    "consent_terms",
    "start_exam",
    "open_online_exam",
    "save_answer",
    "report_window_event",
    "submit_exam",
    "sync_status",
    "proctor_unlock",
    "quit_app",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build: {e:#}"));
}
