//! How the machine was set up and watched, as the session recorded it: the
//! `environment` record at the start of each segment (session type, the
//! system check, the launch source, every setting that differs from the
//! signed policy), what was watched, and every monitor or guard that did
//! not start or stopped, with why. Only signed records count: anyone could
//! have written the others.

use serde::Serialize;

use crate::record::Event;

/// The record made at the start of every segment.
pub const ENVIRONMENT: &str = "environment";
/// What is watched from here on (`detail.monitors`).
pub const MONITORING_STARTED: &str = "monitoring_started";
/// A monitor that did not start or stopped (`detail.monitor`, `detail.reason`).
pub const MONITOR_UNAVAILABLE: &str = "monitor_unavailable";
/// A lockdown guard that did not start or stopped (`detail.guard`, `detail.reason`).
pub const GUARD_UNAVAILABLE: &str = "guard_unavailable";
/// Nothing ran for a while before this record (`detail.seconds`,
/// `detail.cause`: `computer_slept` or `program_stopped`).
pub const MONITORING_GAP: &str = "monitoring_gap";

/// Whether verification keeps this event kind for the summary.
pub(crate) fn is_setup(kind: &str) -> bool {
    matches!(
        kind,
        ENVIRONMENT | MONITORING_STARTED | MONITOR_UNAVAILABLE | GUARD_UNAVAILABLE | MONITORING_GAP
    )
}

/// At most this many setup records are kept (a crafted log cannot fill memory).
pub(crate) const MAX_SETUP_EVENTS: usize = 4096;

/// One `environment` record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentEntry {
    /// Its position.
    pub seq: u64,
    /// In words, as recorded.
    pub summary: String,
    /// As recorded (session type and its witnesses, the system check,
    /// the launch source, the differences from the policy).
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// Something that did not watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotWatched {
    /// The record that says so.
    pub seq: u64,
    /// The monitor or guard.
    pub what: String,
    /// `monitor`, `guard`, or `gap` (nothing at all ran for a while
    /// before record `seq`; watched again from it).
    pub kind: &'static str,
    /// Why.
    pub reason: String,
    /// The record from which it was watched again (a later segment started it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watched_again_from: Option<u64>,
}

/// The summary of the setup records.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EnvironmentSummary {
    /// Every `environment` record, in order.
    pub records: Vec<EnvironmentEntry>,
    /// What the last segment started watching, less what stopped since.
    pub watched: Vec<String>,
    /// Every monitor or guard that did not start or stopped.
    pub not_watched: Vec<NotWatched>,
    /// More setup records than are kept: the summary is not complete.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl EnvironmentSummary {
    /// "Watched: camera, screen; not watched: processes (switched off)".
    pub fn line(&self) -> String {
        let watched = if self.watched.is_empty() {
            "nothing".to_owned()
        } else {
            self.watched.join(", ")
        };
        if self.not_watched.is_empty() {
            return format!("Watched: {watched}");
        }
        let not: Vec<String> = self
            .not_watched
            .iter()
            .map(|n| match n.watched_again_from {
                _ if n.kind == "gap" => {
                    format!("{} ({}; before record {})", n.what, n.reason, n.seq)
                }
                Some(again) => format!(
                    "{} ({}; records {}–{})",
                    n.what,
                    n.reason,
                    n.seq,
                    again.saturating_sub(1)
                ),
                None => format!("{} ({}; record {})", n.what, n.reason, n.seq),
            })
            .collect();
        let more = if self.truncated {
            "; more setup records than are listed"
        } else {
            ""
        };
        format!("Watched: {watched}; not watched: {}{more}", not.join(", "))
    }
}

fn text(e: &Event, key: &str) -> String {
    e.detail
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("unnamed")
        .to_owned()
}

/// Sums up the setup events among the first `signed` records (`truncated`:
/// more were found than kept).
pub(crate) fn summarise(
    events: &[(u64, Event)],
    signed: u64,
    truncated: bool,
) -> EnvironmentSummary {
    let mut s = EnvironmentSummary {
        truncated,
        ..EnvironmentSummary::default()
    };
    for (seq, e) in events.iter().filter(|(seq, _)| *seq < signed) {
        match e.kind.as_str() {
            ENVIRONMENT => s.records.push(EnvironmentEntry {
                seq: *seq,
                summary: e.message.clone().unwrap_or_default(),
                detail: e.detail.clone(),
            }),
            MONITORING_STARTED => {
                s.watched = e
                    .detail
                    .get("monitors")
                    .and_then(serde_json::Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|m| m.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                for n in &mut s.not_watched {
                    if n.watched_again_from.is_none() && s.watched.contains(&n.what) {
                        n.watched_again_from = Some(*seq);
                    }
                }
            }
            MONITORING_GAP => {
                let seconds = e
                    .detail
                    .get("seconds")
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(0.0);
                let why = match e.detail.get("cause").and_then(serde_json::Value::as_str) {
                    Some("computer_slept") => "the computer slept",
                    Some("program_stopped") => {
                        "the exam program did not run while the computer ran on"
                    }
                    _ => "nothing ran",
                };
                s.not_watched.push(NotWatched {
                    seq: *seq,
                    what: "everything".into(),
                    kind: "gap",
                    reason: format!("{why}, for {seconds:.0} s"),
                    watched_again_from: Some(*seq),
                });
            }
            MONITOR_UNAVAILABLE | GUARD_UNAVAILABLE => {
                let (kind, key) = if e.kind == MONITOR_UNAVAILABLE {
                    ("monitor", "monitor")
                } else {
                    ("guard", "guard")
                };
                let what = text(e, key);
                s.watched.retain(|w| *w != what);
                s.not_watched.push(NotWatched {
                    seq: *seq,
                    what,
                    kind,
                    reason: text(e, "reason"),
                    watched_again_from: None,
                });
            }
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn event(kind: &str, detail: serde_json::Value) -> Event {
        Event {
            kind: kind.into(),
            message: Some(format!("{kind} said")),
            detail: match detail {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            },
        }
    }

    #[test]
    fn what_stopped_mid_exam_is_no_longer_watched_and_unsigned_records_do_not_count() {
        let events = vec![
            (1, event(ENVIRONMENT, serde_json::json!({"session": "x11"}))),
            (
                3,
                event(
                    MONITOR_UNAVAILABLE,
                    serde_json::json!({"monitor": "processes", "reason": "switched off by the launch file"}),
                ),
            ),
            (
                4,
                event(
                    MONITORING_STARTED,
                    serde_json::json!({"monitors": ["camera", "microphone"]}),
                ),
            ),
            (
                9,
                event(
                    MONITOR_UNAVAILABLE,
                    serde_json::json!({"monitor": "microphone", "reason": "the audio server went away"}),
                ),
            ),
            (
                20,
                event(
                    GUARD_UNAVAILABLE,
                    serde_json::json!({"guard": "focus", "reason": "written after the last checkpoint"}),
                ),
            ),
        ];
        let s = summarise(&events, 10, false);
        assert_eq!(s.records.len(), 1);
        assert_eq!(s.watched, vec!["camera".to_owned()]);
        assert_eq!(s.not_watched.len(), 2, "{s:?}");
        let line = s.line();
        assert!(line.starts_with("Watched: camera; not watched: processes (switched off by the launch file; record 3), microphone (the audio server went away; record 9)"), "{line}");
        assert!(!line.contains("focus"));
        assert_eq!(summarise(&[], 10, false).line(), "Watched: nothing");
    }

    #[test]
    fn a_gap_in_the_running_is_a_stretch_when_nothing_was_watched() {
        let events = vec![
            (
                2,
                event(
                    MONITORING_STARTED,
                    serde_json::json!({"monitors": ["camera", "screen"]}),
                ),
            ),
            (
                7,
                event(
                    MONITORING_GAP,
                    serde_json::json!({"seconds": 12.3, "cause": "program_stopped"}),
                ),
            ),
            (
                9,
                event(
                    MONITORING_GAP,
                    serde_json::json!({"seconds": 600.0, "cause": "computer_slept"}),
                ),
            ),
        ];
        let s = summarise(&events, 10, false);
        assert_eq!(s.watched, ["camera", "screen"], "watched again after it");
        let line = s.line();
        assert!(
            line.ends_with("not watched: everything (the exam program did not run while the computer ran on, for 12 s; before record 7), everything (the computer slept, for 600 s; before record 9)"),
            "{line}"
        );
    }

    #[test]
    fn a_monitor_watched_again_in_a_later_segment_is_not_listed_as_missing_now() {
        let events = vec![
            (
                3,
                event(
                    MONITOR_UNAVAILABLE,
                    serde_json::json!({"monitor": "camera", "reason": "unplugged", "mid_exam": true}),
                ),
            ),
            (
                8,
                event(
                    MONITORING_STARTED,
                    serde_json::json!({"monitors": ["camera"]}),
                ),
            ),
        ];
        let s = summarise(&events, 10, true);
        assert_eq!(s.watched, vec!["camera".to_owned()]);
        assert_eq!(s.not_watched[0].watched_again_from, Some(8));
        let line = s.line();
        assert!(line.contains("camera (unplugged; records 3–7)"), "{line}");
        assert!(
            line.ends_with("more setup records than are listed"),
            "{line}"
        );
    }
}
