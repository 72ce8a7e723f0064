//! Consent as a value: every capture source needs a [`Consent`] that covers
//! its device, and only the consent step creates one. Nothing is captured
//! before the candidate has accepted what will be captured, why and for how
//! long.

use paraakh_evidence::clock::Timestamp;

use crate::error::{CaptureError, Device};

/// What the candidate agreed to be captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsentScope {
    /// The webcam.
    pub camera: bool,
    /// The microphone.
    pub microphone: bool,
    /// The screen.
    pub screen: bool,
}

impl ConsentScope {
    /// Webcam, microphone and screen.
    pub const ALL: Self = Self {
        camera: true,
        microphone: true,
        screen: true,
    };
}

/// The candidate's recorded consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    scope: ConsentScope,
    given_at: Timestamp,
}

impl Consent {
    /// The consent the candidate gave at `given_at` (the consent screen, or
    /// for the command line, the person running `paraakh capture`).
    pub fn given(scope: ConsentScope, given_at: Timestamp) -> Self {
        Self { scope, given_at }
    }

    /// What it covers.
    pub fn scope(&self) -> ConsentScope {
        self.scope
    }

    /// When it was given.
    pub fn given_at(&self) -> Timestamp {
        self.given_at
    }

    /// Ok if `device` is covered.
    pub fn require(&self, device: Device) -> Result<(), CaptureError> {
        let ok = match device {
            Device::Camera => self.scope.camera,
            Device::Microphone => self.scope.microphone,
            Device::Screen => self.scope.screen,
        };
        if ok {
            Ok(())
        } else {
            Err(CaptureError::NotConsented { device })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_consented_devices_are_allowed() {
        let at = Timestamp {
            utc_ns: 1,
            boot_ns: 1,
        };
        let c = Consent::given(
            ConsentScope {
                camera: true,
                microphone: false,
                screen: false,
            },
            at,
        );
        assert!(c.require(Device::Camera).is_ok());
        let err = c.require(Device::Microphone).unwrap_err().to_string();
        assert!(
            err.starts_with("microphone capture needs the candidate's consent"),
            "{err}"
        );
        assert!(c.require(Device::Screen).is_err());
        assert_eq!(c.given_at(), at);
    }
}
