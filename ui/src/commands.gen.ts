// Generated from src-tauri/build.rs's COMMANDS: do not edit. Regenerate with
// PARAAKH_UPDATE_FIXTURES=1 cargo test -p paraakh-app --bin paraakh-app commands

export const COMMANDS = [
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
] as const;

export type CommandName = (typeof COMMANDS)[number];
