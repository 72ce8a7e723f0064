//! The exam session: the app alone in the kiosk compositor cage, chosen at
//! the login screen ("Paraakh exam", `installer/files/paraakh-exam-session`).
//! Once the exam window's page has loaded — its web process is connected
//! to the compositor by then — the screen capture's own connection is made
//! (nothing is captured until the candidate consents) and the compositor
//! is sealed: no other program can connect from then on, and any that
//! connected before is ended and named in the evidence
//! (`paraakh_lockdown::exam_session`).

use std::sync::OnceLock;

use paraakh_lockdown::exam_session;

/// Whether this app runs in cage (decided once, by the kernel's word on
/// who serves the app's compositor socket, not by the environment's).
pub(crate) fn in_kiosk_compositor() -> bool {
    static IN_CAGE: OnceLock<bool> = OnceLock::new();
    *IN_CAGE.get_or_init(|| {
        exam_session::socket_from_env()
            .and_then(|socket| exam_session::identify(&socket).ok())
            .is_some_and(|(_, compositor)| compositor.is_kiosk())
    })
}

/// Seals the exam session in the background, once; nothing outside cage.
#[allow(clippy::print_stderr)]
pub(crate) fn seal_once() {
    static STARTED: OnceLock<()> = OnceLock::new();
    if !in_kiosk_compositor() || STARTED.set(()).is_err() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("paraakh-app-seal".into())
        .spawn(|| {
            if let Err(e) = paraakh_capture::screen::wlr::preconnect() {
                // The session records the screen as not watched if it
                // cannot capture; sealing goes on regardless.
                eprintln!("paraakh-app: exam session: no screen capture connection: {e}");
            }
            match exam_session::seal() {
                Ok(s) => eprintln!("paraakh-app: {}", s.summary()),
                Err(e) => eprintln!("paraakh-app: the exam session could not be sealed: {e}"),
            }
        });
}

/// Whether a sealed exam session holds now: then no other program can see,
/// cover or paste into the exam, and the desktop guards are not needed.
pub(crate) fn holds() -> bool {
    exam_session::current().is_some_and(|s| s.holds())
}
