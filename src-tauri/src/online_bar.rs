//! The app's bar over an online exam's page: the exam's title and site, the
//! time left, and the proctor's code (the emergency unlock, Ctrl+Alt+P or
//! the Proctor button). A GTK box above the webview in the window's own
//! box, so the organiser's page can neither hide it nor reach it — the way
//! Safe Exam Browser keeps its own taskbar under a web exam. Shown only
//! while an online exam's page is open; the app's own pages have their own.

use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use gtk::gdk;
use gtk::prelude::*;
use tauri::{AppHandle, Manager, WebviewWindow};

use crate::app::{App, OnlineBar};

/// How often the bar looks at the exam's state and the clock.
const TICK: Duration = Duration::from_millis(250);
/// Below this the time left is shown as running low.
const LOW_MS: u64 = 5 * 60 * 1000;

const CSS: &str = "
#paraakh-bar { background: #1f2a37; color: #ffffff; padding: 6px 14px; }
#paraakh-bar > label { color: #ffffff; }
#paraakh-bar button { background: #ffffff; color: #1f2a37; }
#paraakh-bar button label { color: #1f2a37; }
#paraakh-bar-time { font-weight: bold; font-size: 120%; }
#paraakh-bar-time.low { color: #ffd166; }
#paraakh-bar-error { color: #ffb4a8; }
";

/// What a code check on the worker thread left for the bar's next tick.
type Outcome = Mutex<Option<Result<(), String>>>;

struct Widgets {
    bar: gtk::Box,
    title: gtk::Label,
    time: gtk::Label,
    open_proctor: gtk::Button,
    proctor: gtk::Box,
    entry: gtk::Entry,
    unlock: gtk::Button,
    cancel: gtk::Button,
    error: gtk::Label,
}

/// Puts the (hidden) bar above the webview; it shows itself while an
/// online exam's page is open.
pub(crate) fn install(handle: &AppHandle, window: &WebviewWindow) {
    let (Ok(vbox), Ok(gtk_window)) = (window.default_vbox(), window.gtk_window()) else {
        return;
    };
    let provider = gtk::CssProvider::new();
    if provider.load_from_data(CSS.as_bytes()).is_ok()
        && let Some(screen) = gdk::Screen::default()
    {
        gtk::StyleContext::add_provider_for_screen(
            &screen,
            &provider,
            gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
        );
    }
    let w = Rc::new(build());
    vbox.pack_start(&w.bar, false, false, 0);
    vbox.reorder_child(&w.bar, 0);
    let outcome: Arc<Outcome> = Arc::default();

    let reveal = {
        let w = w.clone();
        move || {
            w.error.set_text("");
            w.proctor.show();
            w.open_proctor.hide();
            w.entry.grab_focus();
        }
    };
    w.open_proctor.connect_clicked({
        let reveal = reveal.clone();
        move |_| reveal()
    });
    let conceal = {
        let w = w.clone();
        move || {
            w.entry.set_text("");
            w.error.set_text("");
            w.proctor.hide();
            w.open_proctor.show();
        }
    };
    let submit = {
        let (w, handle, outcome) = (w.clone(), handle.clone(), outcome.clone());
        move || {
            let code = w.entry.text().trim().to_owned();
            if code.is_empty() {
                w.error.set_text("Please type the proctor code.");
                return;
            }
            w.entry.set_sensitive(false);
            w.unlock.set_sensitive(false);
            w.error.set_text("Checking…");
            let (handle, outcome) = (handle.clone(), outcome.clone());
            // The code takes a moment to check: not on the window's thread.
            let done = outcome.clone();
            let spawned = std::thread::Builder::new()
                .name("paraakh-online-proctor".into())
                .spawn(move || {
                    let result = handle
                        .state::<App>()
                        .proctor_unlock(&code, "emergency unlock during the online exam")
                        .map_err(|e| e.to_string());
                    *done.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
                });
            if let Err(e) = spawned {
                *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(Err(format!(
                    "the code could not be checked ({e}); try again"
                )));
            }
        }
    };
    w.entry.connect_activate({
        let submit = submit.clone();
        move |_| submit()
    });
    w.unlock.connect_clicked(move |_| submit());
    w.cancel.connect_clicked({
        let conceal = conceal.clone();
        move |_| conceal()
    });

    // Ctrl+Alt+P opens the proctor's entry, Escape closes it; only while
    // the bar is up (the app's own pages handle their own keys).
    gtk_window.connect_key_press_event({
        let w = w.clone();
        move |_, event| {
            if !w.bar.is_visible() {
                return gtk::glib::Propagation::Proceed;
            }
            let mods =
                event.state() & (gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::MOD1_MASK);
            let key = event.keyval().to_lower();
            if mods == gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::MOD1_MASK
                && key == gdk::keys::constants::p
            {
                reveal();
                return gtk::glib::Propagation::Stop;
            }
            if key == gdk::keys::constants::Escape && w.proctor.is_visible() {
                conceal();
                return gtk::glib::Propagation::Stop;
            }
            gtk::glib::Propagation::Proceed
        }
    });

    let handle = handle.clone();
    gtk::glib::timeout_add_local(TICK, move || {
        tick(&handle, &w, &outcome);
        gtk::glib::ControlFlow::Continue
    });
}

fn build() -> Widgets {
    let bar = gtk::Box::new(gtk::Orientation::Horizontal, 16);
    bar.set_widget_name("paraakh-bar");
    bar.set_no_show_all(true);
    let title = gtk::Label::new(None);
    title.set_ellipsize(gtk::pango::EllipsizeMode::End);
    title.set_xalign(0.0);
    let time = gtk::Label::new(None);
    time.set_widget_name("paraakh-bar-time");
    let open_proctor = gtk::Button::with_label("Proctor");
    open_proctor.set_tooltip_text(Some("For the proctor only (Ctrl+Alt+P)"));

    let proctor = gtk::Box::new(gtk::Orientation::Horizontal, 8);
    proctor.set_no_show_all(true);
    let label = gtk::Label::with_mnemonic("Proctor _code");
    let entry = gtk::Entry::new();
    entry.set_widget_name("paraakh-bar-code");
    entry.set_visibility(false);
    entry.set_placeholder_text(Some("For the proctor only"));
    label.set_mnemonic_widget(Some(&entry));
    let unlock = gtk::Button::with_label("Unlock");
    let cancel = gtk::Button::with_label("Cancel");
    let error = gtk::Label::new(None);
    error.set_widget_name("paraakh-bar-error");
    for child in [
        label.upcast_ref::<gtk::Widget>(),
        entry.upcast_ref(),
        unlock.upcast_ref(),
        cancel.upcast_ref(),
        error.upcast_ref(),
    ] {
        proctor.pack_start(child, false, false, 0);
        child.show();
    }

    bar.pack_start(&title, true, true, 0);
    bar.pack_end(&open_proctor, false, false, 0);
    bar.pack_end(&proctor, false, false, 0);
    bar.pack_end(&time, false, false, 0);
    for child in [
        title.upcast_ref::<gtk::Widget>(),
        time.upcast_ref(),
        open_proctor.upcast_ref(),
    ] {
        child.show();
    }
    Widgets {
        bar,
        title,
        time,
        open_proctor,
        proctor,
        entry,
        unlock,
        cancel,
        error,
    }
}

/// Brings the bar in line with the exam: shown with the time left while
/// the online page is open, hidden otherwise; a finished code check shown.
fn tick(handle: &AppHandle, w: &Widgets, outcome: &Outcome) {
    let app = handle.state::<App>();
    let done = outcome
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match done {
        Some(Ok(())) => {
            w.error
                .set_text("Unlocked by the proctor: the exam has ended. The app closes now.");
            let handle = handle.clone();
            let _ = std::thread::Builder::new()
                .name("paraakh-online-quit".into())
                .spawn(move || {
                    // The last upload gets a moment; what is left stays for `paraakh sync`.
                    handle.state::<App>().finish(Duration::from_secs(15));
                    handle.exit(0);
                });
            return;
        }
        Some(Err(why)) => {
            w.error.set_text(&why);
            w.entry.set_text("");
            w.entry.set_sensitive(true);
            w.unlock.set_sensitive(true);
            w.entry.grab_focus();
        }
        None => {}
    }
    let (title, site, ends_at_ms) = match app.online_bar() {
        OnlineBar::Busy => return,
        OnlineBar::Hidden => {
            if w.bar.is_visible() {
                w.bar.hide();
            }
            return;
        }
        OnlineBar::Shown {
            title,
            site,
            ends_at_ms,
        } => (title, site, ends_at_ms),
    };
    let site = site
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    w.title.set_text(&format!("{title} · {site}"));
    let left = ends_at_ms.saturating_sub(crate::app::now_ms());
    w.time.set_text(&format!("Time left {}", clock(left)));
    let style = w.time.style_context();
    if left < LOW_MS {
        style.add_class("low");
    } else {
        style.remove_class("low");
    }
    if !w.bar.is_visible() {
        w.bar.show();
    }
}

/// `m:ss`, or `h:mm:ss` from an hour, rounded up (never "0:00" too early).
fn clock(ms: u64) -> String {
    let s = ms.div_ceil(1000);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn the_time_left_reads_like_a_clock_and_rounds_up() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(1), "0:01");
        assert_eq!(clock(59_001), "1:00");
        assert_eq!(clock(20 * 60 * 1000), "20:00");
        assert_eq!(clock(3_600_000), "1:00:00");
        assert_eq!(clock(3_723_000), "1:02:03");
    }
}
