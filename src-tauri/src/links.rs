//! Join links arriving while the app runs: a second launch (a link clicked
//! in the browser starts `paraakh-app LINK`) hands its link to the running
//! app and exits; on macOS the system delivers links as events. Either way
//! the link goes to the join screen, which ignores it once an exam runs.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

#[derive(Clone, Serialize)]
struct JoinLink {
    link: String,
}

/// Whether a second launch can find this one: on Linux the hand-over goes
/// over the session bus, and without one the plugin cannot start.
pub(crate) fn session_bus_present() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists())
}

/// A link in a launch's arguments (`paraakh://join?...` or `https://HOST/join?...`).
pub(crate) fn link_in(args: &[String]) -> Option<&str> {
    args.iter().map(String::as_str).find(|a| {
        a.starts_with("paraakh://") || (a.starts_with("https://") && a.contains("/join?"))
    })
}

fn hand_over(app: &AppHandle, link: &str) {
    if let Some(window) = app.get_webview_window(crate::kiosk::EXAM_WINDOW) {
        let _ = window.set_focus();
    }
    let _ = app.emit_to(
        crate::kiosk::EXAM_WINDOW,
        "join-link",
        JoinLink {
            link: link.to_owned(),
        },
    );
}

/// The single-instance callback: the other launch's arguments.
pub(crate) fn on_second_launch(app: &AppHandle, args: Vec<String>, _cwd: String) {
    match link_in(args.get(1..).unwrap_or_default()) {
        Some(link) => hand_over(app, link),
        None => {
            if let Some(window) = app.get_webview_window(crate::kiosk::EXAM_WINDOW) {
                let _ = window.set_focus();
            }
        }
    }
}

/// Links the system delivers as events (macOS; registered schemes).
pub(crate) fn watch_links(app: &AppHandle) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            hand_over(&handle, url.as_str());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_among_arguments_and_other_arguments_are_not() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            link_in(&args(&[
                "--launch",
                "f.toml",
                "paraakh://join?tenant=a&token=t"
            ])),
            Some("paraakh://join?tenant=a&token=t")
        );
        assert_eq!(
            link_in(&args(&["https://exams.example/join?tenant=a&token=t"])),
            Some("https://exams.example/join?tenant=a&token=t")
        );
        assert_eq!(link_in(&args(&["https://example.org/page"])), None);
        assert_eq!(link_in(&args(&["--launch", "f.toml"])), None);
    }
}
