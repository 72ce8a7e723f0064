//! The commands the exam page may call (listed once, in `build.rs`; the
//! handler list, the capability and the UI's names are checked against that
//! list). They run off the main thread: a system check or an autosave
//! waiting for the disk never freezes the window.

use paraakh_engine::session::rules::Observation;
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager};

use crate::app::{App, Preview, Saved};
use crate::error::AppError;

/// Runs `f` on a blocking thread with the app's state.
async fn blocking<T: Send + 'static, E: Into<AppError>>(
    handle: AppHandle,
    f: impl FnOnce(&App) -> Result<T, E> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(move || f(&handle.state::<App>()).map_err(Into::into))
        .await
        .map_err(|e| AppError::from(format!("internal error: {e}")))?
}

#[tauri::command]
pub(crate) async fn launch_state(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, App::launch_state).await
}

#[tauri::command]
pub(crate) async fn join_with_link(
    handle: AppHandle,
    link: String,
) -> Result<impl Serialize, AppError> {
    blocking(handle, move |app| app.join_with_link(&link)).await
}

#[tauri::command]
pub(crate) async fn open_joined_exam(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, App::open_joined_exam).await
}

#[tauri::command]
pub(crate) async fn open_online_exam(handle: AppHandle) -> Result<(), AppError> {
    tauri::async_runtime::spawn_blocking(move || crate::online::open(&handle))
        .await
        .map_err(|e| AppError::from(format!("internal error: {e}")))??;
    Ok(())
}

#[tauri::command]
pub(crate) async fn unlock_exam(
    handle: AppHandle,
    code: String,
) -> Result<impl Serialize, AppError> {
    blocking(handle, move |app| app.unlock_exam(&code)).await
}

#[tauri::command]
pub(crate) async fn run_system_check(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, App::run_system_check).await
}

#[tauri::command]
pub(crate) async fn camera_preview(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, |app| {
        let (frame, image) = app.camera_preview()?;
        Ok::<_, AppError>(Preview { image, frame })
    })
    .await
}

#[tauri::command]
pub(crate) async fn microphone_level(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, App::microphone_level).await
}

#[tauri::command]
pub(crate) async fn consent_terms(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, App::consent_terms).await
}

#[tauri::command]
pub(crate) async fn start_exam(
    handle: AppHandle,
    agree: bool,
    proctor_code: Option<String>,
) -> Result<impl Serialize, AppError> {
    let emitter = handle.clone();
    blocking(handle, move |app| {
        app.start_exam(agree, proctor_code.as_deref(), move |event| {
            let _ = emitter.emit("engine", event);
        })
    })
    .await
}

#[tauri::command]
pub(crate) async fn save_answer(
    handle: AppHandle,
    question: String,
    answer: Value,
    typing: Option<paraakh_engine::session::TypingSample>,
) -> Result<impl Serialize, AppError> {
    blocking(handle, move |app| {
        app.save_answer(&question, &answer, typing)
            .map(|seq| Saved { seq })
    })
    .await
}

/// What the page itself saw; focus and fullscreen come from the window, natively.
#[tauri::command]
pub(crate) async fn report_window_event(handle: AppHandle, kind: String) -> Result<(), AppError> {
    blocking(handle, move |app| match kind.as_str() {
        "devtools_attempt" => {
            app.report(Observation::DevtoolsAttempt);
            Ok(())
        }
        other => Err(format!("unknown window event {other:?}")),
    })
    .await
}

#[tauri::command]
pub(crate) async fn submit_exam(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, App::submit_exam).await
}

#[tauri::command]
pub(crate) async fn sync_status(handle: AppHandle) -> Result<impl Serialize, AppError> {
    blocking(handle, App::sync_status).await
}

#[tauri::command]
pub(crate) async fn proctor_unlock(
    handle: AppHandle,
    code: String,
    reason: String,
) -> Result<(), AppError> {
    let exit = handle.clone();
    blocking(handle, move |app| {
        app.proctor_unlock(&code, &reason)?;
        app.finish(std::time::Duration::from_secs(15));
        exit.exit(0);
        Ok::<_, AppError>(())
    })
    .await
}

/// A proctor confirms, with the proctor code, the keyboard or pointer that
/// held the exam; the exam goes on.
#[tauri::command]
pub(crate) async fn confirm_held(handle: AppHandle, code: String) -> Result<(), AppError> {
    blocking(handle, move |app| app.confirm_held(&code)).await
}

#[tauri::command]
pub(crate) async fn quit_app(handle: AppHandle) -> Result<(), AppError> {
    let exit = handle.clone();
    blocking(handle, move |app| {
        app.may_quit()?;
        // The last upload gets a moment; whatever is left is kept for `paraakh sync`.
        app.finish(std::time::Duration::from_secs(15));
        exit.exit(0);
        Ok::<_, AppError>(())
    })
    .await
}

/// The app's commands, as `build.rs` lists them.
#[cfg(test)]
pub(crate) const NAMES: &[&str] = include!(concat!(env!("OUT_DIR"), "/command_names.rs"));

/// The UI's list of command names, generated from [`NAMES`].
#[cfg(test)]
fn ui_commands_module() -> String {
    let mut s = String::from(
        "// Generated from src-tauri/build.rs's COMMANDS: do not edit. Regenerate with\n// PARAAKH_UPDATE_FIXTURES=1 cargo test -p paraakh-app --bin paraakh-app commands\n\nexport const COMMANDS = [\n",
    );
    for name in NAMES {
        s.push_str(&format!("  \"{name}\",\n"));
    }
    s.push_str("] as const;\n\nexport type CommandName = (typeof COMMANDS)[number];\n");
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn repo(rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }

    /// The exam page is granted exactly the app's commands (and listening
    /// to events): none missing, none extra.
    #[test]
    fn the_capability_grants_exactly_the_commands() {
        let text = std::fs::read_to_string(repo("capabilities/exam.json")).unwrap();
        let capability: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut granted: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("core:"))
            .map(str::to_owned)
            .collect();
        granted.sort();
        let mut wanted: Vec<String> = NAMES
            .iter()
            .map(|n| format!("allow-{}", n.replace('_', "-")))
            .collect();
        wanted.sort();
        assert_eq!(
            granted, wanted,
            "capabilities/exam.json and build.rs's COMMANDS disagree"
        );
    }

    /// The UI calls commands by the names in `ui/src/commands.gen.ts`.
    #[test]
    fn the_ui_knows_the_commands_by_their_names() {
        paraakh_test_rig::fixture::check_text(
            &repo("../ui/src/commands.gen.ts"),
            &ui_commands_module(),
            "cargo test -p paraakh-app --bin paraakh-app commands",
        );
    }
}
