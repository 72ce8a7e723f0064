//! The policy engine: observations from the monitors become violations by
//! the policy's rules — a condition must last `after_seconds` before it
//! counts (a face lost for a blink is not an event), each violation carries
//! its severity and action, and lasting ones are closed with how long they
//! lasted. Pure logic, driven by the boot clock, so every edge is testable.

use paraakh_policy::model::{Action, Policy, Rule, Severity};

use super::kind::EventKind;

/// What a monitor saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// One analysed webcam frame.
    Camera {
        /// Faces found; `None` when face detection is not running (then
        /// only a blocked camera can be judged).
        faces: Option<usize>,
        /// The picture is covered, black or frozen.
        blocked: bool,
        /// The one face present is turned away.
        looking_away: bool,
    },
    /// Speech that has ended: its length in seconds.
    Speech {
        /// Seconds of speech.
        seconds: f64,
    },
    /// A prohibited program.
    Program {
        /// Already running when the exam started.
        running_at_start: bool,
    },
    /// The displays changed.
    Displays {
        /// Displays now.
        count: usize,
    },
    /// The exam window lost the focus (reported by the app).
    FocusLost,
    /// The exam window left fullscreen (reported by the app).
    FullscreenExit,
    /// Developer tools were asked for (reported by the app).
    DevtoolsAttempt,
    /// A shortcut the keyboard grab kept from the desktop (reported by the app).
    Shortcut {
        /// The keys, as a person would say them (`Alt+Tab`).
        keys: String,
        /// Print Screen (a capture attempt), not a switch.
        print_screen: bool,
    },
    /// Keys, clicks or motion that no hand made, one episode of it.
    SyntheticInput {
        /// Key presses, clicks, pointer motions.
        keys: u64,
        buttons: u64,
        motions: u64,
        /// The devices it came through.
        devices: String,
    },
    /// Typing no person types, in one answer.
    MachineTyping {
        /// The question it went into.
        question: String,
        /// What was unusual, in words.
        what: String,
    },
    /// A keyboard or pointer that appeared during the exam.
    InputDeviceAdded {
        /// Its name, as the X server has it.
        name: String,
    },
    /// A screen-sharing session appeared.
    ScreenSharing,
    /// A remote session appeared (the exam shown on or typed from another machine).
    RemoteSession,
    /// An online exam's page tried to open a site not on the exam's
    /// allowed origins; it stayed where it was (reported by the app).
    PageBlocked {
        /// The refused page's origin (not its path or query: they may hold
        /// the candidate's details).
        origin: String,
    },
    /// Text copied or selected in the exam was taken off the desktop's
    /// selection (`block_copy_out`), so it cannot be pasted elsewhere.
    CopyBlocked {
        /// `CLIPBOARD`, `PRIMARY` or `SECONDARY`.
        selection: &'static str,
    },
}

/// Origins of refused pages recorded per session (a page retrying one
/// link is recorded once; a page trying hundreds is recorded up to this).
const MAX_BLOCKED_ORIGINS: usize = 50;

/// Evidence a violation wants attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// None.
    None,
    /// The current webcam picture.
    Webcam,
    /// The audio clip of the speech.
    AudioClip,
    /// A capture of every screen now.
    Screen,
}

/// A violation to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Event kind (`no_face`, `speech`, ...).
    pub kind: EventKind,
    /// Severity.
    pub severity: Severity,
    /// Action.
    pub action: Action,
    /// What the reviewer reads.
    pub message: String,
    /// What the candidate sees, if the action warns.
    pub warning: Option<&'static str>,
    /// Evidence to attach.
    pub evidence: Evidence,
    /// The exam must be submitted now (`auto_submit` reached its count).
    pub auto_submit: bool,
    /// For a condition that lasted: how long, in seconds (on its end).
    pub lasted_seconds: Option<f64>,
}

/// The conditions that must last before they count; each has the kind of
/// its violation and of its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lasting {
    CameraBlocked,
    NoFace,
    MultipleFaces,
    LookingAway,
}

impl Lasting {
    fn kind(self) -> EventKind {
        match self {
            Self::CameraBlocked => EventKind::CameraBlocked,
            Self::NoFace => EventKind::NoFace,
            Self::MultipleFaces => EventKind::MultipleFaces,
            Self::LookingAway => EventKind::LookingAway,
        }
    }

    /// The record of a reported condition's end.
    fn ended(self) -> EventKind {
        match self {
            Self::CameraBlocked => EventKind::CameraBlockedEnded,
            Self::NoFace => EventKind::NoFaceEnded,
            Self::MultipleFaces => EventKind::MultipleFacesEnded,
            Self::LookingAway => EventKind::LookingAwayEnded,
        }
    }
}

/// A lasting condition (no face, ...) and whether it was reported.
#[derive(Debug, Clone, Copy, Default)]
struct Condition {
    since_ns: Option<u64>,
    reported: bool,
}

/// Calm words for the candidate: what we notice and what to do, never an
/// accusation. `None` for kinds that are never a violation (records for
/// the reviewer, never warned).
fn warning_for(kind: EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::NoFace => "We can't see your face — please stay in front of the camera.",
        EventKind::MultipleFaces => {
            "We can see more than one person — please make sure you are alone."
        }
        EventKind::CameraBlocked => {
            "Your camera seems covered or too dark — please uncover it or add some light."
        }
        EventKind::LookingAway => "Please keep your attention on the exam.",
        EventKind::Speech => "We can hear talking — please keep the room quiet during the exam.",
        EventKind::ProhibitedProgram => {
            "A program that is not allowed during this exam was found — please close it."
        }
        EventKind::DisplaysChanged => {
            "Your displays changed — please use one screen during the exam."
        }
        EventKind::FocusLost => {
            "The exam window lost focus for a moment and is back now — please stay in the exam until you submit."
        }
        EventKind::FullscreenExit => {
            "The exam is back in full screen — please keep it that way until you submit."
        }
        EventKind::DevtoolsAttempt => "That tool is not available during the exam.",
        EventKind::PrintScreen => "Screenshots are not available during the exam.",
        EventKind::BlockedShortcut => "That shortcut is not available during the exam.",
        EventKind::SyntheticInput => {
            "Input that did not come from this computer's keyboard or mouse was noticed — please type and click yourself, and close any program that does it for you."
        }
        EventKind::InputDeviceAdded => {
            "A keyboard or mouse was connected — please use only the ones you started the exam with."
        }
        EventKind::ScreenSharing => "Your screen is being shared — please stop sharing it.",
        EventKind::RemoteSession => {
            "This computer seems to be used from another one — please end that connection."
        }
        EventKind::NoFaceEnded
        | EventKind::MultipleFacesEnded
        | EventKind::CameraBlockedEnded
        | EventKind::LookingAwayEnded
        | EventKind::PageBlocked
        | EventKind::CopyBlocked
        | EventKind::StatementUnavailable
        | EventKind::SessionResumed
        | EventKind::MonitoringGap
        | EventKind::ConsentGiven
        | EventKind::Environment
        | EventKind::MonitoringStarted
        | EventKind::MonitorUnavailable
        | EventKind::GuardUnavailable
        | EventKind::MonitorTrouble
        | EventKind::BreakStarted
        | EventKind::BreakEnded
        | EventKind::ProctorUnlock
        | EventKind::ExamHeld
        | EventKind::ExamReleased
        | EventKind::ReceiptRefused
        | EventKind::UploadInterrupted
        | EventKind::UploadResumed
        | EventKind::StorageLow
        | EventKind::StorageLowEnded
        | EventKind::MachineTyping
        | EventKind::TypingProfile
        | EventKind::AutoSubmitted
        | EventKind::SessionEnded => return None,
    })
}

impl Violation {
    /// A record for the reviewer's context: logged, never a warning.
    fn context(kind: EventKind, message: String) -> Self {
        Self {
            kind,
            severity: Severity::Info,
            action: Action::Log,
            message,
            warning: None,
            evidence: Evidence::None,
            auto_submit: false,
            lasted_seconds: None,
        }
    }
}

/// Applies one policy to observations as they come.
#[derive(Debug)]
pub struct Rules {
    policy: Policy,
    /// Lasting conditions.
    conditions: std::collections::HashMap<Lasting, Condition>,
    /// Violations so far, by kind (for `auto_submit` at a count).
    counts: std::collections::HashMap<EventKind, u32>,
    /// Origins already recorded as refused.
    blocked_origins: std::collections::BTreeSet<String>,
    /// Selections already recorded as taken away.
    blocked_selections: std::collections::BTreeSet<&'static str>,
    paused: bool,
}

fn seconds(rule: &Rule) -> u64 {
    (rule.after_seconds.unwrap_or(0.0).max(0.0) * 1e9) as u64
}

impl Rules {
    /// Rules of `policy`.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            conditions: Default::default(),
            counts: Default::default(),
            blocked_origins: Default::default(),
            blocked_selections: Default::default(),
            paused: false,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// During an allowed break nothing counts; lasting conditions start afresh after it.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        self.conditions.clear();
    }

    /// Nothing was observed for a while (the computer slept, the program
    /// was stopped): a condition not yet reported starts afresh, so the
    /// first frames after the gap are not taken as lasting through it. One
    /// already reported stays open until it is seen to end.
    pub fn interrupted(&mut self) {
        self.conditions.retain(|_, c| c.reported);
    }

    fn violation(
        &mut self,
        kind: EventKind,
        rule: &Rule,
        message: String,
        evidence: Evidence,
    ) -> Violation {
        let count = self.counts.entry(kind).or_insert(0);
        *count += 1;
        let auto_submit =
            rule.action == Action::AutoSubmit && rule.occurrences.is_some_and(|n| *count >= n);
        let warns = rule.action != Action::Log;
        Violation {
            kind,
            severity: rule.severity,
            action: rule.action,
            message,
            warning: if warns { warning_for(kind) } else { None },
            evidence: if rule.action == Action::Snapshot {
                evidence
            } else {
                Evidence::None
            },
            auto_submit,
            lasted_seconds: None,
        }
    }

    /// Steps a lasting condition: a violation when it has lasted long
    /// enough, an `<kind>_ended` record (info) when a reported one ends.
    fn lasting(
        &mut self,
        condition: Lasting,
        rule: &Rule,
        active: bool,
        now_ns: u64,
        message: &str,
        out: &mut Vec<Violation>,
    ) {
        let c = self.conditions.entry(condition).or_default();
        if !active {
            if c.reported
                && let Some(since) = c.since_ns
            {
                let lasted = now_ns.saturating_sub(since) as f64 / 1e9;
                out.push(Violation {
                    lasted_seconds: Some(lasted),
                    ..Violation::context(
                        condition.ended(),
                        format!("{message}: over after {lasted:.1} s"),
                    )
                });
            }
            *c = Condition::default();
            return;
        }
        let since = *c.since_ns.get_or_insert(now_ns);
        if c.reported || now_ns.saturating_sub(since) < seconds(rule) {
            return;
        }
        c.reported = true;
        let lasted = now_ns.saturating_sub(since) as f64 / 1e9;
        let v = self.violation(
            condition.kind(),
            rule,
            format!("{message} for {lasted:.1} s"),
            Evidence::Webcam,
        );
        out.push(v);
    }

    /// The violations `obs`, seen at boot time `now_ns`, gives.
    pub fn observe(&mut self, obs: &Observation, now_ns: u64) -> Vec<Violation> {
        let mut out = Vec::new();
        if self.paused {
            return out;
        }
        let p = self.policy.clone();
        match *obs {
            Observation::Camera {
                faces,
                blocked,
                looking_away,
            } => {
                if !p.face.enabled {
                    return out;
                }
                let judge = !blocked && faces.is_some();
                let faces = faces.unwrap_or(0);
                for (condition, rule, active, message) in [
                    (
                        Lasting::CameraBlocked,
                        &p.face.camera_blocked,
                        blocked,
                        "The camera picture was covered, dark or frozen",
                    ),
                    (
                        Lasting::NoFace,
                        &p.face.no_face,
                        judge && faces == 0,
                        "No face was in the camera picture",
                    ),
                    (
                        Lasting::MultipleFaces,
                        &p.face.multiple_faces,
                        judge && faces > 1,
                        "More than one face was in the camera picture",
                    ),
                    (
                        Lasting::LookingAway,
                        &p.face.looking_away,
                        judge && faces == 1 && looking_away,
                        "The candidate's head was turned away",
                    ),
                ] {
                    if rule.enabled {
                        self.lasting(condition, rule, active, now_ns, message, &mut out);
                    }
                }
            }
            Observation::Speech { seconds: s } => {
                let rule = &p.voice.speech;
                if p.voice.enabled && rule.enabled && s >= rule.after_seconds.unwrap_or(0.0) {
                    out.push(self.violation(
                        EventKind::Speech,
                        rule,
                        format!("Speech for {s:.1} s"),
                        Evidence::AudioClip,
                    ));
                }
            }
            Observation::Program { running_at_start } => {
                let rule = if running_at_start {
                    &p.processes.running_at_start
                } else {
                    &p.processes.started_during_exam
                };
                if p.processes.enabled && rule.enabled {
                    let when = if running_at_start {
                        "was running when the exam started"
                    } else {
                        "was started during the exam"
                    };
                    out.push(self.violation(
                        EventKind::ProhibitedProgram,
                        rule,
                        format!("A prohibited program {when}"),
                        Evidence::Screen,
                    ));
                }
            }
            Observation::Displays { count } => {
                if p.displays.enabled {
                    let rule = if count > p.displays.max as usize {
                        &p.displays.too_many
                    } else {
                        &p.displays.hot_plug
                    };
                    if rule.enabled {
                        out.push(self.violation(
                            EventKind::DisplaysChanged,
                            rule,
                            format!("The displays changed ({count} now)"),
                            Evidence::Screen,
                        ));
                    }
                }
            }
            Observation::FocusLost => {
                if p.focus.enabled && p.focus.lost.enabled {
                    out.push(self.violation(
                        EventKind::FocusLost,
                        &p.focus.lost,
                        "The exam window lost the focus".into(),
                        Evidence::Screen,
                    ));
                }
            }
            Observation::FullscreenExit => {
                if p.fullscreen.enabled && p.fullscreen.exit.enabled {
                    out.push(self.violation(
                        EventKind::FullscreenExit,
                        &p.fullscreen.exit,
                        "The exam window left full screen".into(),
                        Evidence::Screen,
                    ));
                }
            }
            Observation::DevtoolsAttempt => {
                if p.devtools.enabled && p.devtools.attempt.enabled {
                    out.push(self.violation(
                        EventKind::DevtoolsAttempt,
                        &p.devtools.attempt,
                        "Developer tools were asked for".into(),
                        Evidence::Screen,
                    ));
                }
            }
            Observation::Shortcut {
                ref keys,
                print_screen,
            } => {
                let (kind, rule) = if print_screen {
                    (EventKind::PrintScreen, &p.keyboard.print_screen)
                } else {
                    (EventKind::BlockedShortcut, &p.keyboard.blocked_shortcut)
                };
                if p.keyboard.enabled && rule.enabled {
                    out.push(self.violation(
                        kind,
                        rule,
                        format!("{keys} was pressed and kept from the desktop"),
                        Evidence::None,
                    ));
                }
            }
            Observation::SyntheticInput {
                keys,
                buttons,
                motions,
                ref devices,
            } => {
                let rule = &p.keyboard.synthetic_input;
                if p.keyboard.enabled && rule.enabled {
                    out.push(self.violation(
                        EventKind::SyntheticInput,
                        rule,
                        format!(
                            "Input no hand made, sent through {devices}: {keys} key presses, {buttons} clicks, {motions} pointer motions"
                        ),
                        Evidence::Screen,
                    ));
                }
            }
            Observation::MachineTyping {
                ref question,
                ref what,
            } => {
                let rule = &p.keyboard.machine_typing;
                if p.keyboard.enabled && rule.enabled {
                    let mut v = self.violation(
                        EventKind::MachineTyping,
                        rule,
                        format!("Typing no person types in the answer to {question}: {what}"),
                        Evidence::None,
                    );
                    // Information for the reviewer: the candidate is not told.
                    v.warning = None;
                    out.push(v);
                }
            }
            Observation::InputDeviceAdded { ref name } => {
                let rule = &p.keyboard.input_device_added;
                if p.keyboard.enabled && rule.enabled {
                    out.push(self.violation(
                        EventKind::InputDeviceAdded,
                        rule,
                        format!("An input device was connected: {name}"),
                        Evidence::Screen,
                    ));
                }
            }
            Observation::RemoteSession => {
                let rule = &p.remote_session.detected;
                if p.remote_session.enabled && rule.enabled {
                    out.push(self.violation(
                        EventKind::RemoteSession,
                        rule,
                        "A remote session was found".into(),
                        Evidence::Screen,
                    ));
                }
            }
            Observation::PageBlocked { ref origin } => {
                // Context for the reviewer, not a violation: the organiser's
                // page links where it links; the candidate did not get there.
                if p.network.enabled
                    && self.blocked_origins.len() < MAX_BLOCKED_ORIGINS
                    && self.blocked_origins.insert(origin.clone())
                {
                    out.push(Violation::context(EventKind::PageBlocked, format!(
                            "The exam page tried to open {origin}, which is not one of the exam's allowed sites; it was not opened"
                        )));
                }
            }
            Observation::CopyBlocked { selection } => {
                // Context, once per selection: copying in the exam is not
                // wrong; the copy just does not leave it.
                if p.keyboard.enabled
                    && p.keyboard.block_copy_out
                    && self.blocked_selections.insert(selection)
                {
                    out.push(Violation::context(EventKind::CopyBlocked, format!(
                            "Text copied or selected in the exam was kept off the desktop's {selection} selection (and any later {selection} copy in this session)"
                        )));
                }
            }
            Observation::ScreenSharing => {
                let rule = &p.remote_session.screen_sharing;
                if p.remote_session.enabled && rule.enabled {
                    out.push(self.violation(
                        EventKind::ScreenSharing,
                        rule,
                        "The screen was being shared".into(),
                        Evidence::Screen,
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const S: u64 = 1_000_000_000;

    fn standard() -> Policy {
        paraakh_policy::parse(paraakh_policy::presets::text("standard").unwrap()).unwrap()
    }

    fn camera(faces: usize) -> Observation {
        Observation::Camera {
            faces: Some(faces),
            blocked: false,
            looking_away: false,
        }
    }

    #[test]
    fn a_face_lost_briefly_is_nothing_and_a_face_lost_long_is_one_violation_then_its_end() {
        let mut r = Rules::new(standard());
        // Standard: no face for 10 s counts.
        assert!(r.observe(&camera(0), 0).is_empty());
        assert!(r.observe(&camera(0), 9 * S).is_empty());
        assert!(
            r.observe(&camera(1), 9 * S + 1).is_empty(),
            "a short loss is nothing"
        );
        assert!(
            r.observe(&camera(0), 20 * S).is_empty(),
            "the clock starts again"
        );
        let v = r.observe(&camera(0), 30 * S);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, "no_face");
        assert_eq!(v[0].severity, Severity::High);
        assert_eq!(
            v[0].evidence,
            Evidence::Webcam,
            "snapshot attaches the webcam"
        );
        assert!(v[0].warning.unwrap().contains("We can't see your face"));
        assert!(r.observe(&camera(0), 40 * S).is_empty(), "reported once");
        let end = r.observe(&camera(1), 45 * S);
        assert_eq!(end.len(), 1);
        assert_eq!(end[0].kind, "no_face_ended");
        assert_eq!(end[0].lasted_seconds, Some(25.0));
        assert_eq!(end[0].severity, Severity::Info);
    }

    #[test]
    fn a_gap_restarts_a_condition_not_yet_reported_and_keeps_a_reported_one() {
        let mut r = Rules::new(standard());
        assert!(r.observe(&camera(0), 0).is_empty());
        // The computer sleeps for a minute with no face seen before it.
        r.interrupted();
        assert!(
            r.observe(&camera(0), 60 * S).is_empty(),
            "the minute asleep is not a minute without a face"
        );
        assert!(r.observe(&camera(0), 69 * S).is_empty());
        assert_eq!(r.observe(&camera(0), 70 * S)[0].kind, "no_face");
        r.interrupted();
        assert!(
            r.observe(&camera(0), 80 * S).is_empty(),
            "reported once, across the gap too"
        );
        let end = r.observe(&camera(1), 90 * S);
        assert_eq!(end[0].kind, "no_face_ended");
        assert_eq!(end[0].lasted_seconds, Some(30.0));
    }

    #[test]
    fn every_lasting_condition_warns_and_its_end_is_a_quiet_record() {
        for c in [
            Lasting::CameraBlocked,
            Lasting::NoFace,
            Lasting::MultipleFaces,
            Lasting::LookingAway,
        ] {
            assert!(warning_for(c.kind()).is_some(), "{}", c.kind());
            assert!(warning_for(c.ended()).is_none(), "{}", c.ended());
            assert_eq!(c.ended().as_str(), format!("{}_ended", c.kind()));
        }
    }

    #[test]
    fn a_blocked_camera_is_not_also_a_missing_face() {
        let mut r = Rules::new(standard());
        let blocked = Observation::Camera {
            faces: Some(0),
            blocked: true,
            looking_away: false,
        };
        let mut all = Vec::new();
        for t in 0..=12 {
            all.extend(r.observe(&blocked, t * S));
        }
        let kinds: Vec<_> = all.iter().map(|v| v.kind).collect();
        assert_eq!(kinds, ["camera_blocked"]);
        assert_eq!(all[0].evidence, Evidence::None, "standard only warns");
    }

    #[test]
    fn speech_counts_from_its_threshold_and_nothing_counts_during_a_break() {
        let mut r = Rules::new(standard());
        assert!(
            r.observe(&Observation::Speech { seconds: 3.9 }, 0)
                .is_empty()
        );
        let v = r.observe(&Observation::Speech { seconds: 6.0 }, S);
        assert_eq!(v[0].kind, "speech");
        assert_eq!(v[0].evidence, Evidence::AudioClip);
        r.set_paused(true);
        assert!(
            r.observe(&Observation::Speech { seconds: 60.0 }, 2 * S)
                .is_empty()
        );
        assert!(r.observe(&Observation::FocusLost, 3 * S).is_empty());
        r.set_paused(false);
        assert_eq!(
            r.observe(&Observation::FocusLost, 4 * S)[0].kind,
            "focus_lost"
        );
    }

    #[test]
    fn auto_submit_comes_at_the_policys_count() {
        let mut r = Rules::new(standard());
        // Standard: screen sharing auto-submits at the third occurrence.
        let subs: Vec<bool> = (0..3)
            .map(|i| r.observe(&Observation::ScreenSharing, i * S)[0].auto_submit)
            .collect();
        assert_eq!(subs, [false, false, true]);
    }

    #[test]
    fn without_face_detection_only_a_blocked_camera_is_judged() {
        let mut r = Rules::new(standard());
        let unknown = Observation::Camera {
            faces: None,
            blocked: false,
            looking_away: false,
        };
        for t in 0..60 {
            assert!(
                r.observe(&unknown, t * S).is_empty(),
                "no face is never assumed"
            );
        }
    }

    #[test]
    fn a_disabled_layer_or_rule_gives_nothing() {
        let mut p = standard();
        p.face.enabled = false;
        p.focus.lost.enabled = false;
        let mut r = Rules::new(p);
        for t in 0..30 {
            assert!(r.observe(&camera(0), t * S).is_empty());
        }
        assert!(r.observe(&Observation::FocusLost, 31 * S).is_empty());
        // Looking away is off in the standard preset.
        let mut r = Rules::new(standard());
        let away = Observation::Camera {
            faces: Some(1),
            blocked: false,
            looking_away: true,
        };
        for t in 0..30 {
            assert!(r.observe(&away, t * S).is_empty());
        }
    }

    #[test]
    fn shortcuts_follow_the_keyboard_layer() {
        let mut r = Rules::new(standard());
        let alt_tab = Observation::Shortcut {
            keys: "Alt+Tab".into(),
            print_screen: false,
        };
        let v = r.observe(&alt_tab, 0);
        assert_eq!(v[0].kind, "blocked_shortcut");
        assert_eq!(v[0].severity, Severity::Low, "standard: low, logged");
        assert_eq!(
            v[0].message,
            "Alt+Tab was pressed and kept from the desktop"
        );
        let print = Observation::Shortcut {
            keys: "Print".into(),
            print_screen: true,
        };
        let v = r.observe(&print, S);
        assert_eq!(v[0].kind, "print_screen");
        assert_eq!(v[0].severity, Severity::Medium);
        assert!(
            v[0].warning
                .unwrap()
                .contains("Screenshots are not available")
        );
        let mut p = standard();
        p.keyboard.enabled = false;
        assert!(Rules::new(p).observe(&print, 0).is_empty());
    }

    #[test]
    fn a_refused_page_is_recorded_once_per_origin_for_the_reviewer_only() {
        let mut r = Rules::new(standard());
        let blocked = |o: &str| Observation::PageBlocked { origin: o.into() };
        let v = r.observe(&blocked("https://www.google.com"), 0);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, "page_blocked");
        assert_eq!(v[0].severity, Severity::Info);
        assert_eq!(v[0].action, Action::Log);
        assert!(v[0].warning.is_none(), "the candidate is not warned");
        assert!(v[0].message.contains("https://www.google.com"));
        assert!(r.observe(&blocked("https://www.google.com"), S).is_empty());
        assert_eq!(r.observe(&blocked("https://chat.example"), S).len(), 1);
        let many: usize = (0..200)
            .map(|i| {
                r.observe(&blocked(&format!("https://{i}.example")), S)
                    .len()
            })
            .sum();
        assert_eq!(many, MAX_BLOCKED_ORIGINS - 2, "recorded up to the cap");
        let mut p = standard();
        p.network.enabled = false;
        assert!(
            Rules::new(p)
                .observe(&blocked("https://x.example"), 0)
                .is_empty()
        );
    }

    #[test]
    fn a_copy_kept_in_the_exam_is_recorded_once_per_selection() {
        let mut r = Rules::new(standard());
        let copied = |selection| Observation::CopyBlocked { selection };
        let v = r.observe(&copied("CLIPBOARD"), 0);
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].kind, v[0].severity),
            (EventKind::CopyBlocked, Severity::Info)
        );
        assert!(v[0].warning.is_none());
        assert!(r.observe(&copied("CLIPBOARD"), S).is_empty());
        assert_eq!(r.observe(&copied("PRIMARY"), S).len(), 1);
        let mut p = standard();
        p.keyboard.block_copy_out = false;
        assert!(Rules::new(p).observe(&copied("CLIPBOARD"), 0).is_empty());
    }
}
