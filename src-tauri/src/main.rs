//! `paraakh-app`: the desktop app of Paraakh Secure Exam. A thin shell:
//! the kiosk window and the commands the exam page calls, over the engine.

#![deny(unsafe_code)]
// Release builds on Windows show no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod answers;
mod app;
mod commands;
mod draft;
mod error;
#[cfg(target_os = "linux")]
mod exam_session;
mod join;
mod kiosk;
mod launch;
mod links;
mod online;
#[cfg(target_os = "linux")]
mod online_bar;
mod run;

use std::process::ExitCode;

/// Whether the sealed exam session holds: no other program exists there to
/// see, cover or paste into the exam (always false off Linux).
pub(crate) fn exam_session_holds() -> bool {
    #[cfg(target_os = "linux")]
    return exam_session::holds();
    #[cfg(not(target_os = "linux"))]
    false
}

use tauri::Manager as _;

/// ONNX Runtime reads this once when it loads (the system check, the
/// camera preview, the exam): its telemetry to Microsoft stays off, and
/// detection refuses to load it otherwise.
#[allow(unsafe_code)]
fn switch_off_ort_telemetry() {
    // SAFETY: the first thing `main` does, before any thread exists: nothing
    // else reads or writes the environment meanwhile.
    unsafe { std::env::set_var(paraakh_detect::runtime::ORT_TELEMETRY_ENV, "1") };
}

fn main() -> ExitCode {
    switch_off_ort_telemetry();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let launch = match launch::Launch::from_args(&args) {
        Ok(l) => l,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("paraakh-app: {e}");
            }
            return ExitCode::from(2);
        }
    };
    if launch.check_only {
        // A centre's administrator checks a launch file as the app reads it.
        #[allow(clippy::print_stdout)]
        {
            println!("{}", launch.verdict());
        }
        return ExitCode::SUCCESS;
    }
    let kiosk = launch.kiosk();
    let mut builder = tauri::Builder::default();
    if links::session_bus_present() {
        // First: a second launch (a join link clicked while the app runs)
        // hands its arguments to this one and exits.
        builder = builder.plugin(tauri_plugin_single_instance::init(links::on_second_launch));
    }
    let result = builder
        .plugin(tauri_plugin_deep_link::init())
        .manage(app::App::new(launch))
        // The list is build.rs's `COMMANDS`, the one list of the app's commands.
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/handlers.rs")))
        .setup(move |app| {
            // Only the one instance that runs (a second launch has handed
            // its link over and exited by now) sends earlier sessions.
            app.state::<app::App>().send_finished_sessions();
            kiosk::open(app.handle(), kiosk)?;
            links::watch_links(app.handle());
            Ok(())
        })
        .on_window_event(kiosk::on_window_event)
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("paraakh-app: the window could not be opened: {e}");
            }
            ExitCode::from(2)
        }
    }
}
