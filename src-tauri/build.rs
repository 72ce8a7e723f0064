//! The app's own commands, listed once. From this list Tauri generates a
//! permission for each, and this script writes the handler list `main.rs`
//! includes and the list `commands.rs` checks `capabilities/exam.json` and
//! the UI's `ui/src/commands.gen.ts` against: a command added here and
//! nowhere else fails the build or a test.

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
    "confirm_held",
    "quit_app",
];

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let handlers = COMMANDS
        .iter()
        .map(|c| format!("commands::{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text)
            .unwrap_or_else(|e| panic!("cannot write {name} in OUT_DIR: {e}"));
    };
    write(
        "handlers.rs",
        format!("tauri::generate_handler![{handlers}]\n"),
    );
    write(
        "command_names.rs",
        format!(
            "&[{}]\n",
            COMMANDS
                .iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build: {e:#}"));
}
