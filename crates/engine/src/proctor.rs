//! A proctor's code at the candidate's computer: the tenant's (an Argon2id
//! hash in the signed policy) or the proctoring centre's (an Argon2id hash
//! in its launch file: a plain SHA-256 of a short code would be found by
//! trying every code). Wrong codes are slowed down so they cannot be tried
//! one after another; the record says whose code it was, never the code.

use std::sync::{Mutex, PoisonError};

use paraakh_policy::proctor::ProctorCodeHash;

/// Whose code opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The tenant's code (in the exam's policy).
    Tenant,
    /// The proctoring centre's code (in its launch file).
    Centre,
}

impl Authority {
    /// For the evidence.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Tenant => "the tenant's proctor code",
            Self::Centre => "the centre's proctor code (launch file)",
        }
    }
}

/// Why a code was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeRefused {
    /// Neither the exam nor this computer has a proctor code.
    #[error("no proctor code is set for this exam or on this computer")]
    NoCode,
    /// Not the tenant's and not the centre's.
    #[error("that proctor code is not right")]
    Wrong,
    /// Too many wrong codes: the next try waits.
    #[error("too many wrong proctor codes: try again in {retry_after_s} seconds")]
    Wait {
        /// Seconds until the next try is taken.
        retry_after_s: u64,
    },
}

/// The codes that open an exam here, and the wrong tries so far.
#[derive(Debug, Default)]
pub struct ProctorGate {
    /// Wrong codes in a row, and when the last one was typed (ms).
    failed: Mutex<(u32, u64)>,
}

impl ProctorGate {
    /// Free tries before the waiting starts.
    const FREE: u32 = 3;
    const MAX_WAIT_MS: u64 = 60_000;

    fn wait_ms(failed: u32) -> u64 {
        match failed.checked_sub(Self::FREE) {
            None => 0,
            Some(extra) => (5_000u64 << extra.min(10)).min(Self::MAX_WAIT_MS),
        }
    }

    /// Checks `code` at `now_ms` against the tenant's and the centre's
    /// hashes (PHC strings, Argon2id).
    pub fn check(
        &self,
        tenant_hash: Option<&str>,
        centre_hash: Option<&str>,
        code: &str,
        now_ms: u64,
    ) -> Result<Authority, CodeRefused> {
        if tenant_hash.is_none() && centre_hash.is_none() {
            return Err(CodeRefused::NoCode);
        }
        let mut tries = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        let ready = tries.1 + Self::wait_ms(tries.0);
        if now_ms < ready {
            return Err(CodeRefused::Wait {
                retry_after_s: (ready - now_ms).div_ceil(1000),
            });
        }
        let matches = |hash: Option<&str>| {
            hash.and_then(|text| ProctorCodeHash::parse(text).ok())
                .is_some_and(|hash| hash.matches(code))
        };
        let tenant_ok = matches(tenant_hash);
        let centre_ok = !tenant_ok && matches(centre_hash);
        if tenant_ok || centre_ok {
            *tries = (0, 0);
            Ok(if tenant_ok {
                Authority::Tenant
            } else {
                Authority::Centre
            })
        } else {
            *tries = (tries.0.saturating_add(1), now_ms);
            Err(CodeRefused::Wrong)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    // `argon2 somesaltsomesalt -id -m 16 -t 3 -p 1 -e` of "PASSW0RD1".
    const TENANT: &str = "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$FxpfPW9cXUKGYE+/5SYf9Gpvp4KL3z8Q10yFw9dvvoY";

    /// The centre's code as a launch file holds it.
    fn centre_hash(code: &str) -> String {
        ProctorCodeHash::new(code).unwrap().to_string()
    }

    #[test]
    fn the_tenants_and_the_centres_codes_are_both_accepted_and_named() {
        let centre = centre_hash("CENTRE1234");
        let gate = ProctorGate::default();
        let check = |code: &str| gate.check(Some(TENANT), Some(&centre), code, 1_000);
        assert_eq!(check("password1"), Ok(Authority::Tenant));
        assert_eq!(check("centre-1234"), Ok(Authority::Centre));
        assert_eq!(
            gate.check(None, Some(&centre), "centre 1234", 1_000),
            Ok(Authority::Centre)
        );
        assert_eq!(check("password2"), Err(CodeRefused::Wrong));
        assert_eq!(
            ProctorGate::default().check(None, None, "password1", 0),
            Err(CodeRefused::NoCode)
        );
        assert_eq!(
            Authority::Centre.describe(),
            "the centre's proctor code (launch file)"
        );
    }

    #[test]
    fn wrong_codes_wait_longer_each_time_up_to_a_minute() {
        let waits: Vec<u64> = (0..12).map(ProctorGate::wait_ms).collect();
        assert_eq!(&waits[..4], &[0, 0, 0, 5_000]);
        assert_eq!(&waits[4..7], &[10_000, 20_000, 40_000]);
        assert!(waits[7..].iter().all(|w| *w == 60_000));
        assert_eq!(ProctorGate::wait_ms(u32::MAX), 60_000);

        let gate = ProctorGate::default();
        let centre = centre_hash("right-123");
        for t in 0..3 {
            assert_eq!(
                gate.check(None, Some(&centre), "wrong", 10_000 + t),
                Err(CodeRefused::Wrong)
            );
        }
        // The fourth try waits 5 s from the third wrong one, even when right.
        assert_eq!(
            gate.check(None, Some(&centre), "right123", 11_000),
            Err(CodeRefused::Wait { retry_after_s: 5 })
        );
        assert_eq!(
            CodeRefused::Wait { retry_after_s: 4 }.to_string(),
            "too many wrong proctor codes: try again in 4 seconds"
        );
        assert_eq!(
            gate.check(None, Some(&centre), "right123", 15_002),
            Ok(Authority::Centre)
        );
        // A right code starts the count again.
        assert_eq!(
            gate.check(None, Some(&centre), "wrong", 15_003),
            Err(CodeRefused::Wrong)
        );
    }
}
