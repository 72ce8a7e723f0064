//! An online exam: the tenant's own page in the exam window. Navigation is
//! kept to the exam's allowed origins (and the app's own pages); the page
//! gets no app command at all, since no capability names a remote URL.
//! Reaching the exam's finish URL (the tenant's page saying it has the
//! answers), or the end of the time, submits the session and brings the
//! app's receipt back — the way Safe Exam Browser's quit URL ends an exam.

use std::time::Duration;

use paraakh_policy::exam::OnlineExam;
use tauri::{AppHandle, Manager, Url};

use crate::app::App;
use crate::kiosk::EXAM_WINDOW;

/// What the exam window may do with a navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Navigation {
    /// Show it.
    Allow,
    /// Stay on the current page.
    Block,
    /// The tenant's page has the answers: end the exam.
    Finish,
}

/// A page's source or the inspector asked for by address (`view-source:`,
/// `inspector:`): a developer-tools attempt, never shown.
pub(crate) fn asks_for_source(url: &Url) -> bool {
    matches!(url.scheme(), "view-source" | "inspector" | "devtools")
}

/// An online exam while it runs.
#[derive(Debug, Clone)]
pub(crate) struct OnlineRun {
    pub(crate) exam: OnlineExam,
    pub(crate) allowed: Vec<String>,
    /// The app's own page, to come back to.
    pub(crate) home: Option<Url>,
    pub(crate) finished: bool,
}

impl OnlineRun {
    /// A page the app did not make itself.
    pub(crate) fn judge(&self, url: &Url) -> Navigation {
        let text = url.as_str();
        if self.finished {
            Navigation::Block
        } else if paraakh_policy::net::url_is_at(text, &self.exam.finish_url) {
            Navigation::Finish
        } else if paraakh_policy::net::url_allowed(text, &self.allowed) {
            Navigation::Allow
        } else {
            Navigation::Block
        }
    }
}

/// Shows the exam's start page in the exam window, and ends the exam when
/// its time is up if the candidate has not submitted on the page by then.
pub(crate) fn open(handle: &AppHandle) -> Result<(), String> {
    let window = handle
        .get_webview_window(EXAM_WINDOW)
        .ok_or("the exam window is gone")?;
    let home = window.url().ok();
    let app = handle.state::<App>();
    let (start, ends_at_ms) = app.begin_online(home)?;
    let url: Url = start
        .parse()
        .map_err(|e| format!("the exam's page {start:?} is not a URL: {e}"))?;
    let guard = handle.clone();
    std::thread::Builder::new()
        .name("paraakh-online-timer".into())
        .spawn(move || {
            loop {
                let left = ends_at_ms.saturating_sub(crate::app::now_ms());
                if left == 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(left.min(1000)));
                if guard.state::<App>().online_finished() {
                    return;
                }
            }
            finish(&guard, true);
        })
        .map_err(|e| format!("the exam's timer could not start: {e}"))?;
    window.navigate(url).map_err(|e| e.to_string())
}

/// Submits the online exam and brings the app's receipt back (off the
/// window's thread: submitting waits for the evidence to be durable).
pub(crate) fn finish(handle: &AppHandle, time_up: bool) {
    let handle = handle.clone();
    let _ = std::thread::Builder::new()
        .name("paraakh-online-finish".into())
        .spawn(move || {
            let app = handle.state::<App>();
            // Submitting can fail for a moment (the disk); it is tried again.
            for _ in 0..10 {
                match app.finish_online(time_up) {
                    Ok(Some(home)) => {
                        if let Some(window) = handle.get_webview_window(EXAM_WINDOW) {
                            let _ = window.navigate(home);
                        }
                        return;
                    }
                    Ok(None) => return,
                    Err(_) => std::thread::sleep(Duration::from_secs(1)),
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_and_inspector_addresses_are_devtools_attempts() {
        for text in [
            "view-source:https://quiz.example/exam",
            "VIEW-SOURCE:tauri://localhost/index.html",
            "inspector://x",
            "devtools://devtools/bundled/inspector.html",
        ] {
            assert!(asks_for_source(&Url::parse(text).unwrap()), "{text}");
        }
        for text in ["https://quiz.example/view-source", "tauri://localhost/"] {
            assert!(!asks_for_source(&Url::parse(text).unwrap()), "{text}");
        }
    }

    #[test]
    fn pages_are_judged_by_origin_and_the_finish_url_ends_the_exam() {
        let mut run = OnlineRun {
            exam: OnlineExam {
                start_url: "https://quiz.acme.example/e/1".into(),
                finish_url: "https://quiz.acme.example/e/1/done".into(),
            },
            allowed: vec![
                "https://quiz.acme.example".into(),
                "https://*.cdn.example".into(),
            ],
            home: None,
            finished: false,
        };
        let judge = |run: &OnlineRun, u: &str| run.judge(&u.parse().unwrap());
        assert_eq!(
            judge(&run, "https://quiz.acme.example/e/1/q/3"),
            Navigation::Allow
        );
        assert_eq!(judge(&run, "https://a.cdn.example/x.js"), Navigation::Allow);
        assert_eq!(
            judge(&run, "https://quiz.acme.example/e/1/done?ok=1"),
            Navigation::Finish
        );
        assert_eq!(judge(&run, "https://www.google.com/"), Navigation::Block);
        // Not a prefix: a look-alike host, or a longer last segment.
        assert_eq!(
            judge(&run, "https://quiz.acme.example.evil.com/e/1/done"),
            Navigation::Block
        );
        assert_eq!(
            judge(&run, "https://quiz.acme.example/e/1/done-later"),
            Navigation::Allow
        );
        assert_eq!(
            judge(&run, "http://quiz.acme.example/e/1"),
            Navigation::Block
        );
        run.finished = true;
        assert_eq!(
            judge(&run, "https://quiz.acme.example/e/1/q/3"),
            Navigation::Block
        );
    }
}
