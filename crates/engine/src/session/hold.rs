//! Holding the exam until a proctor confirms: a keyboard or pointer that
//! appears during the exam (a second keyboard handed over, a remote
//! helper's virtual device) stops the exam where the policy says so
//! (`keyboard.hold_on_new_device`) and a proctor can confirm it with the
//! proctor code. While held, answers are not saved and the exam cannot be
//! submitted: whatever the new device types never enters the evidence as an
//! answer. The hold is in the log, so ending the program does not lift it:
//! a resumed session is held again until the proctor confirms.

use std::time::Instant;

use paraakh_evidence::Severity;
use serde_json::json;

use super::{EngineError, EngineEvent, EventKind, Running, detail};

/// What holds the exam.
#[derive(Debug)]
pub(super) struct Held {
    since: Instant,
    /// The devices that appeared, by name.
    devices: Vec<String>,
    /// Saves and submissions refused meanwhile.
    refused: u64,
}

impl Running {
    /// Whether a device that appeared holds the exam: the policy asks for
    /// it and someone can confirm it.
    pub(super) fn holds_for_devices(&self) -> bool {
        let k = &self.o.config.policy.keyboard;
        k.enabled && k.hold_on_new_device && self.o.config.proctor_can_confirm
    }

    /// Holds the exam for `devices` (a hold already on takes them in too);
    /// `resumed`: a hold the session's previous segment left open.
    pub(super) fn hold(&mut self, devices: Vec<String>, resumed: bool) -> Result<(), EngineError> {
        let devices = match &mut self.held {
            Some(h) => {
                h.devices.extend(devices);
                h.devices.clone()
            }
            None => {
                let message = format!(
                    "The exam is {} until a proctor confirms the new input device: {}",
                    if resumed { "still held" } else { "held" },
                    devices.join(", ")
                );
                self.event(
                    Severity::Medium,
                    EventKind::ExamHeld,
                    message,
                    detail(json!({"devices": devices, "resumed": resumed})),
                )?;
                self.held = Some(Held {
                    since: Instant::now(),
                    devices: devices.clone(),
                    refused: 0,
                });
                devices
            }
        };
        self.emit(EngineEvent::Held { devices });
        Ok(())
    }

    /// Why an answer or a submission is refused now, if it is.
    pub(super) fn held_refusal(&mut self, what: &str) -> Option<String> {
        let h = self.held.as_mut()?;
        h.refused += 1;
        Some(format!(
            "{what}: the exam is held until a proctor confirms the new keyboard or pointer ({})",
            h.devices.join(", ")
        ))
    }

    /// A proctor confirmed (`by`: whose authority); nothing happens when
    /// nothing holds the exam.
    pub(super) fn release(&mut self, by: &str) -> Result<(), EngineError> {
        let Some(h) = self.held.take() else {
            return Ok(());
        };
        let seconds = h.since.elapsed().as_secs_f64();
        self.event(
            Severity::Info,
            EventKind::ExamReleased,
            format!(
                "{by} confirmed {}; the exam was held for {seconds:.0} s",
                h.devices.join(", ")
            ),
            detail(json!({
                "by": by,
                "devices": h.devices,
                "seconds": seconds,
                "refused": h.refused,
            })),
        )?;
        self.emit(EngineEvent::Released);
        Ok(())
    }
}
