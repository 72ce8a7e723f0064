//! The commands the exam page may call (each also listed in `build.rs` and
//! granted in `capabilities/`). They run off the main thread: a system
//! check or an autosave waiting for the disk never freezes the window.

use paraakh_engine::session::rules::Observation;
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager};

use crate::app::App;

/// Runs `f` on a blocking thread with the app's state.
async fn blocking<T: Send + 'static>(
    handle: AppHandle,
    f: impl FnOnce(&App) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(move || f(&handle.state::<App>()))
        .await
        .map_err(|e| format!("internal error: {e}"))?
}

#[tauri::command]
pub(crate) async fn launch_state(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, App::launch_state).await
}

#[tauri::command]
pub(crate) async fn join_with_link(
    handle: AppHandle,
    link: String,
) -> Result<impl Serialize, String> {
    blocking(handle, move |app| app.join_with_link(&link)).await
}

#[tauri::command]
pub(crate) async fn open_joined_exam(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, App::open_joined_exam).await
}

#[tauri::command]
pub(crate) async fn open_online_exam(handle: AppHandle) -> Result<(), String> {
    tauri::async_runtime::spawn_blocking(move || crate::online::open(&handle))
        .await
        .map_err(|e| format!("internal error: {e}"))?
}

#[tauri::command]
pub(crate) async fn unlock_exam(handle: AppHandle, code: String) -> Result<impl Serialize, String> {
    blocking(handle, move |app| app.unlock_exam(&code)).await
}

#[tauri::command]
pub(crate) async fn run_system_check(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, App::run_system_check).await
}

#[derive(Serialize)]
struct Preview {
    image: String,
    #[serde(flatten)]
    frame: paraakh_engine::preview::PreviewFrame,
}

#[tauri::command]
pub(crate) async fn camera_preview(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, |app| {
        let (frame, image) = app.camera_preview()?;
        Ok(Preview { image, frame })
    })
    .await
}

#[tauri::command]
pub(crate) async fn microphone_level(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, App::microphone_level).await
}

#[tauri::command]
pub(crate) async fn consent_terms(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, App::consent_terms).await
}

#[tauri::command]
pub(crate) async fn start_exam(
    handle: AppHandle,
    agree: bool,
    proctor_code: Option<String>,
) -> Result<impl Serialize, String> {
    let emitter = handle.clone();
    blocking(handle, move |app| {
        app.start_exam(agree, proctor_code.as_deref(), move |event| {
            let _ = emitter.emit("engine", event);
        })
    })
    .await
}

#[derive(Serialize)]
struct Saved {
    seq: u64,
}

#[tauri::command]
pub(crate) async fn save_answer(
    handle: AppHandle,
    question: String,
    answer: Value,
) -> Result<impl Serialize, String> {
    blocking(handle, move |app| {
        app.save_answer(&question, &answer).map(|seq| Saved { seq })
    })
    .await
}

/// What the page itself saw; focus and fullscreen come from the window, natively.
#[tauri::command]
pub(crate) async fn report_window_event(handle: AppHandle, kind: String) -> Result<(), String> {
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
pub(crate) async fn submit_exam(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, App::submit_exam).await
}

#[tauri::command]
pub(crate) async fn sync_status(handle: AppHandle) -> Result<impl Serialize, String> {
    blocking(handle, App::sync_status).await
}

#[tauri::command]
pub(crate) async fn proctor_unlock(
    handle: AppHandle,
    code: String,
    reason: String,
) -> Result<(), String> {
    let exit = handle.clone();
    blocking(handle, move |app| {
        app.proctor_unlock(&code, &reason)?;
        app.finish(std::time::Duration::from_secs(15));
        exit.exit(0);
        Ok(())
    })
    .await
}

#[tauri::command]
pub(crate) async fn quit_app(handle: AppHandle) -> Result<(), String> {
    let exit = handle.clone();
    blocking(handle, move |app| {
        app.may_quit()?;
        // The last upload gets a moment; whatever is left is kept for `paraakh sync`.
        app.finish(std::time::Duration::from_secs(15));
        exit.exit(0);
        Ok(())
    })
    .await
}
