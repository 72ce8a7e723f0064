//! The kiosk window: fullscreen, undecorated, always on top, off the
//! taskbar, navigation kept to the app's own pages (and an online exam's
//! allowed origins while it runs); on X11 the keyboard
//! grabbed (so the window manager's shortcuts never fire) and the focus
//! watched and taken back by `paraakh-lockdown`. Leaving fullscreen or
//! losing the focus during the exam is reported to the engine and shown to
//! the candidate in calm words; the window takes itself back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use paraakh_engine::session::rules::Observation;
use serde::Serialize;
use tauri::webview::NewWindowResponse;
use tauri::{
    AppHandle, Emitter, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder, Window,
    WindowEvent,
};

use crate::app::App;
use crate::online::Navigation;

/// The one window's label (capabilities are granted to it by this name).
pub(crate) const EXAM_WINDOW: &str = "exam";

/// A lockdown notice for the page.
#[derive(Debug, Clone, Serialize)]
struct LockdownNotice {
    kind: &'static str,
    text: &'static str,
}

const CLOSE_TEXT: &str =
    "The exam window stays open until you submit. If you need to stop, ask your proctor.";

/// The focus is watched natively (X11); otherwise the window's own focus events are used.
static NATIVE_FOCUS_GUARD: AtomicBool = AtomicBool::new(false);

/// Whether a page is one of the app's own (an online exam's pages are
/// judged by the app's state: `App::navigation`).
fn allowed_page(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => {
            url.host_str() == Some("tauri.localhost")
                || (cfg!(debug_assertions)
                    && url.host_str() == Some("localhost")
                    && url.port() == Some(1420))
        }
        _ => false,
    }
}

/// Opens the exam window.
pub(crate) fn open(handle: &AppHandle, kiosk: bool) -> tauri::Result<WebviewWindow> {
    let nav = handle.clone();
    let popup = handle.clone();
    let window =
        WebviewWindowBuilder::new(handle, EXAM_WINDOW, WebviewUrl::App("index.html".into()))
            .title("Paraakh Secure Exam")
            .inner_size(1280.0, 800.0)
            .min_inner_size(640.0, 480.0)
            .fullscreen(kiosk)
            .decorations(!kiosk)
            .always_on_top(kiosk)
            .skip_taskbar(kiosk)
            .resizable(!kiosk)
            .content_protected(true)
            .focused(true)
            .zoom_hotkeys_enabled(true)
            .devtools(cfg!(feature = "devtools"))
            .on_page_load(|_, payload| {
                // In the exam session the page's web process is connected
                // by now: the compositor can be sealed.
                #[cfg(target_os = "linux")]
                if payload.event() == tauri::webview::PageLoadEvent::Finished {
                    crate::exam_session::seal_once();
                }
                #[cfg(not(target_os = "linux"))]
                let _ = payload;
            })
            .on_navigation(move |url| {
                let app = nav.state::<App>();
                if crate::online::asks_for_source(url) {
                    app.report(Observation::DevtoolsAttempt);
                    return false;
                }
                match app.navigation(url, allowed_page(url)) {
                    Navigation::Allow => true,
                    Navigation::Block => false,
                    Navigation::Finish => {
                        crate::online::finish(&nav, false);
                        false
                    }
                }
            })
            .on_new_window(move |url, _features| {
                // A page's new window (target=_blank, window.open) opens in
                // the exam window itself, where the same rules apply.
                let app = popup.state::<App>();
                if crate::online::asks_for_source(&url) {
                    app.report(Observation::DevtoolsAttempt);
                } else if app.navigation(&url, allowed_page(&url)) != Navigation::Block
                    && let Some(window) = popup.get_webview_window(EXAM_WINDOW)
                {
                    let _ = window.navigate(url);
                }
                NewWindowResponse::Deny
            })
            .build()?;
    #[cfg(target_os = "linux")]
    {
        crate::online_bar::install(handle, &window);
        linux::remember_window(&window);
        linux::no_page_fullscreen(&window);
    }
    if kiosk {
        #[cfg(target_os = "linux")]
        {
            linux::cover_screen_without_window_manager(&window);
            linux::lock(handle, &window);
        }
    }
    Ok(window)
}

fn notice(handle: &AppHandle, kind: &'static str, text: &'static str) {
    let _ = handle.emit("lockdown", LockdownNotice { kind, text });
}

/// The window's events: closing is refused while the exam runs; leaving
/// fullscreen and losing focus are reported and undone.
pub(crate) fn on_window_event(window: &Window, event: &WindowEvent) {
    let handle = window.app_handle();
    let app = handle.state::<App>();
    match event {
        WindowEvent::CloseRequested { api, .. } if app.may_quit().is_err() => {
            api.prevent_close();
            notice(handle, "close_blocked", CLOSE_TEXT);
        }
        // Linux: the window's own state says when it leaves fullscreen, even
        // when its size does not change (`linux::watch_fullscreen`).
        WindowEvent::Resized(_)
            if cfg!(not(target_os = "linux"))
                && app.exam_in_progress()
                && kiosk_on(window)
                && window.is_fullscreen().is_ok_and(|full| !full) =>
        {
            app.report(Observation::FullscreenExit);
            let _ = window.set_fullscreen(true);
        }
        WindowEvent::Focused(false)
            if !NATIVE_FOCUS_GUARD.load(Ordering::Relaxed)
                && app.exam_in_progress()
                && kiosk_on(window) =>
        {
            app.report(Observation::FocusLost);
            let w = window.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                let _ = w.set_focus();
            });
        }
        _ => {}
    }
}

/// Whether a developer-tools key counts as an attempt. F12 and
/// Ctrl+Shift+I open developer tools in every browser; Ctrl+Shift+J/C/K do
/// too, but an organiser's editor may use them (delete a line, join lines),
/// so they count on the app's own pages only; Ctrl+U (page source in a
/// browser, underline in an editor) never counts.
fn devtools_counts(keys: &str, organisers_page: bool) -> bool {
    match keys {
        "F12" | "Ctrl+Shift+I" => true,
        "Ctrl+Shift+J" | "Ctrl+Shift+C" | "Ctrl+Shift+K" => !organisers_page,
        _ => false,
    }
}

fn kiosk_on(window: &Window) -> bool {
    window.is_always_on_top().unwrap_or(false)
}

/// Keeps text copied or selected in the exam from the desktop's selections
/// (the policy's `block_copy_out`) until the session ends; each selection
/// taken away is reported (the engine records the first of each).
pub(crate) fn keep_copies_in(run: std::sync::Arc<crate::run::ExamRun>) {
    #[cfg(target_os = "linux")]
    linux::keep_copies_in(run);
    #[cfg(not(target_os = "linux"))]
    let _ = run; // Windows and macOS: not built here yet.
}

#[cfg(target_os = "linux")]
mod linux {
    //! X11: the keyboard grab on GTK's own connection (keys still reach the
    //! page; the window manager never sees Alt+Tab or Super) and the focus
    //! guard from `paraakh-lockdown`.

    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use gtk::prelude::*;
    use paraakh_engine::session::rules::Observation;
    use paraakh_evidence::SystemClock;
    use paraakh_lockdown::focus::FocusGuard;
    use raw_window_handle::{HasWindowHandle, RawWindowHandle};
    use tauri::{AppHandle, Manager, WebviewWindow};

    use super::NATIVE_FOCUS_GUARD;
    use crate::app::App;

    /// The exam window's X id, once known (0: not on X11).
    static EXAM_XID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    fn xid(window: &WebviewWindow) -> Option<u32> {
        // Wayland sessions without an X server have no window ids.
        std::env::var_os("DISPLAY")?;
        match window.window_handle().map(|h| h.as_raw()) {
            Ok(RawWindowHandle::Xlib(h)) => u32::try_from(h.window).ok(),
            Ok(RawWindowHandle::Xcb(h)) => Some(h.window.get()),
            _ => None,
        }
    }

    /// A page cannot enter or leave fullscreen itself (a video, the
    /// organiser's `document.exitFullscreen()`): WebKit would take the
    /// window out of fullscreen, and that would be recorded against the
    /// candidate. The window stays fullscreen by the app's word only.
    pub(super) fn no_page_fullscreen(window: &WebviewWindow) {
        use webkit2gtk::SettingsExt as _;
        let _ = window.with_webview(|webview| {
            if let Some(settings) = webkit2gtk::WebViewExt::settings(&webview.inner()) {
                settings.set_enable_fullscreen(false);
            }
        });
    }

    /// With no window manager (the X11 exam session: the app alone on the
    /// X server) nobody makes the window fullscreen: it covers the screen
    /// itself.
    pub(super) fn cover_screen_without_window_manager(window: &WebviewWindow) {
        if xid(window).is_none()
            || paraakh_lockdown::displays::X11Displays::connect(None)
                .map_or(true, |d| d.has_window_manager())
        {
            return;
        }
        if let Ok(Some(m)) = window
            .current_monitor()
            .or_else(|_| window.primary_monitor())
        {
            let _ = window.set_position(*m.position());
            let _ = window.set_size(*m.size());
        }
    }

    pub(super) fn remember_window(window: &WebviewWindow) {
        if let Some(xid) = xid(window) {
            EXAM_XID.store(xid, Ordering::Relaxed);
        }
    }

    pub(super) fn keep_copies_in(run: Arc<crate::run::ExamRun>) {
        use paraakh_lockdown::clipboard::CopyOutGuard;
        let unavailable = |reason: String| {
            let _ = run.send(paraakh_engine::session::Command::GuardUnavailable {
                guard: "copy-out guard".into(),
                reason,
            });
        };
        let xid = EXAM_XID.load(Ordering::Relaxed);
        if xid == 0 && crate::exam_session::holds() {
            // No other program exists in the sealed exam session to paste into.
            return;
        }
        if xid == 0 {
            // Wayland: no X selections to watch; the exam screen's own
            // clipboard still keeps its copies off the desktop's.
            unavailable(
                "no X11 window (Wayland): only the exam page's own clipboard keeps copies in"
                    .into(),
            );
            return;
        }
        // PRIMARY stays with the page (WebKitGTK would drop the candidate's
        // text selection); it is cleared whenever the focus leaves the exam
        // and at the end.
        let guard = match CopyOutGuard::start(None, xid, false, Arc::new(SystemClock)) {
            Ok(g) => g,
            Err(e) => {
                unavailable(e.to_string());
                return;
            }
        };
        let _ = std::thread::Builder::new()
            .name("paraakh-app-copy".into())
            .spawn(move || {
                // The guard stops when this thread ends with the session.
                while !run.is_finished() {
                    if let Some(taken) = guard.next_event(Duration::from_secs(1)) {
                        let _ = run.send(paraakh_engine::session::Command::Report(
                            Observation::CopyBlocked {
                                selection: taken.selection,
                            },
                        ));
                    }
                }
            });
    }

    pub(super) fn lock(handle: &AppHandle, window: &WebviewWindow) {
        let app = handle.state::<App>();
        // Keys reach the window before any page, on X11 and Wayland alike.
        watch_keys(handle, window);
        watch_fullscreen(handle, window);
        let Some(xid) = xid(window) else {
            if crate::exam_session::in_kiosk_compositor() {
                // cage has no shortcuts and no other window to switch to:
                // the exam session itself is the lockdown, and the evidence
                // says whether it held (the environment record).
                return;
            }
            // Wayland: focus loss is still seen through the window's events.
            app.guard_unavailable(
                "keyboard grab",
                "no X11 window (Wayland): the desktop's shortcuts (Alt+Tab, Super) are not blocked"
                    .into(),
            );
            return;
        };
        grab_keyboard(handle, window);
        match FocusGuard::start(None, xid, true, Arc::new(SystemClock)) {
            Ok(guard) => {
                NATIVE_FOCUS_GUARD.store(true, Ordering::Relaxed);
                let handle = handle.clone();
                let spawned = std::thread::Builder::new()
                    .name("paraakh-app-focus".into())
                    .spawn(move || {
                        loop {
                            let Some(_lost) = guard.next_event(Duration::from_secs(1)) else {
                                continue;
                            };
                            // The engine warns the candidate as the policy says.
                            let app = handle.state::<App>();
                            app.report(Observation::FocusLost);
                            if app.copies_kept_in()
                                && let Err(e) = paraakh_lockdown::clipboard::clear(None)
                            {
                                // Another window could paste what is selected in the exam.
                                app.guard_unavailable("clipboard clearing", e.to_string());
                            }
                        }
                    });
                if let Err(e) = spawned {
                    NATIVE_FOCUS_GUARD.store(false, Ordering::Relaxed);
                    app.guard_unavailable("focus guard", e.to_string());
                }
            }
            Err(e) => {
                NATIVE_FOCUS_GUARD.store(false, Ordering::Relaxed);
                app.guard_unavailable(
                    "focus guard",
                    format!("{e}; focus loss is seen only through the window's own events"),
                );
            }
        }
    }

    /// Records the shortcuts the grab keeps from the desktop (Alt+Tab, Super,
    /// Print Screen, ...) as the policy's keyboard layer says, and keeps the
    /// developer tools' keys (F12, Ctrl+Shift+I/J/C/K, Ctrl+U) from every
    /// page — the app's and an online exam's — reporting each as an attempt.
    fn watch_keys(handle: &AppHandle, window: &WebviewWindow) {
        use gtk::glib::translate::IntoGlib as _;
        use paraakh_lockdown::keyboard::{Shortcut, classify};
        let Ok(gtk_window) = window.gtk_window() else {
            return;
        };
        let handle = handle.clone();
        // The developer-tools key held down now: a held key repeats, and one
        // press is one attempt.
        let held = std::rc::Rc::new(std::cell::Cell::new(None::<u32>));
        let released = std::rc::Rc::clone(&held);
        gtk_window.connect_key_release_event(move |_, event| {
            if released.get() == Some(event.keyval().into_glib()) {
                released.set(None);
            }
            gtk::glib::Propagation::Proceed
        });
        gtk_window.connect_key_press_event(move |_, event| {
            let keysym: u32 = event.keyval().into_glib();
            // GDK's modifier bits are X11's.
            let state = x11rb::protocol::xproto::KeyButMask::from(event.state().bits() as u16);
            let observed = match classify(keysym, state) {
                Some(Shortcut::PrintScreen(keys)) => Some((keys, true)),
                Some(Shortcut::Blocked(keys)) => Some((keys, false)),
                Some(Shortcut::Devtools(keys)) => {
                    let app = handle.state::<App>();
                    let organisers = app.on_organisers_page();
                    let repeat = held.replace(Some(keysym)) == Some(keysym);
                    if !repeat && super::devtools_counts(&keys, organisers) {
                        app.report(Observation::DevtoolsAttempt);
                    }
                    // Before the page sees it, so no page counts it again;
                    // the organiser's page keeps the keys its editor may use.
                    return if organisers && !super::devtools_counts(&keys, true) {
                        gtk::glib::Propagation::Proceed
                    } else {
                        gtk::glib::Propagation::Stop
                    };
                }
                _ => None,
            };
            if let Some((keys, print_screen)) = observed {
                handle
                    .state::<App>()
                    .report(Observation::Shortcut { keys, print_screen });
            }
            gtk::glib::Propagation::Proceed
        });
    }

    /// Leaving fullscreen (a key the window manager binds, a tool that asks
    /// it) is reported and undone. GTK's window state says so whether or not
    /// the window's size changes with it.
    fn watch_fullscreen(handle: &AppHandle, window: &WebviewWindow) {
        use gtk::gdk::WindowState;
        let Ok(gtk_window) = window.gtk_window() else {
            return;
        };
        let handle = handle.clone();
        gtk_window.connect_window_state_event(move |w, event| {
            let left = event.changed_mask().contains(WindowState::FULLSCREEN)
                && !event.new_window_state().contains(WindowState::FULLSCREEN);
            let app = handle.state::<App>();
            if left && app.exam_in_progress() {
                app.report(Observation::FullscreenExit);
                w.fullscreen();
            }
            gtk::glib::Propagation::Proceed
        });
    }

    /// Grabs the keyboard for the window once it is shown (GTK's seat grab:
    /// released by the X server if the app dies).
    fn grab_keyboard(handle: &AppHandle, window: &WebviewWindow) {
        let Ok(gtk_window) = window.gtk_window() else {
            handle
                .state::<App>()
                .guard_unavailable("keyboard grab", "the exam window has no GTK window".into());
            return;
        };
        let handle = handle.clone();
        // A refused grab is recorded once, not on every focus change.
        let reported = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let grab = move |w: &gtk::ApplicationWindow| {
            let Some(gdk_window) = w.window() else {
                return;
            };
            let status = match gdk_window.display().default_seat() {
                Some(seat) => seat.grab(
                    &gdk_window,
                    gtk::gdk::SeatCapabilities::KEYBOARD,
                    false,
                    None,
                    None,
                    None,
                ),
                None => gtk::gdk::GrabStatus::Failed,
            };
            if status == gtk::gdk::GrabStatus::Success {
                // A refusal at the window's first showing that a later grab
                // overcame is no failure of the exam's lockdown.
                if reported.swap(false, Ordering::Relaxed) {
                    handle.state::<App>().guard_restored("keyboard grab");
                }
            } else if !reported.swap(true, Ordering::Relaxed) {
                handle.state::<App>().guard_unavailable(
                    "keyboard grab",
                    format!(
                        "the display refused it ({status:?}): another program holds the keyboard, and the desktop's shortcuts may work"
                    ),
                );
            }
        };
        if gtk_window.is_visible() {
            grab(&gtk_window);
        }
        let on_map = grab.clone();
        gtk_window.connect_map_event(move |w, _| {
            on_map(w);
            gtk::glib::Propagation::Proceed
        });
        gtk_window.connect_focus_in_event(move |w, _| {
            grab(w);
            gtk::glib::Propagation::Proceed
        });
    }
}

#[cfg(test)]
mod tests {
    use super::devtools_counts;

    #[test]
    fn only_unmistakable_devtools_keys_count_on_the_organisers_page() {
        for keys in ["F12", "Ctrl+Shift+I"] {
            assert!(devtools_counts(keys, true) && devtools_counts(keys, false));
        }
        for keys in ["Ctrl+Shift+J", "Ctrl+Shift+C", "Ctrl+Shift+K"] {
            assert!(devtools_counts(keys, false) && !devtools_counts(keys, true));
        }
        for keys in ["Ctrl+U", "Ctrl+F12"] {
            assert!(!devtools_counts(keys, false) && !devtools_counts(keys, true));
        }
    }
}
