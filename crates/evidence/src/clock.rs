//! Time in records: UTC wall clock and a boot-relative monotonic clock.
//!
//! The wall clock can be changed by the candidate; the boot clock
//! (CLOCK_BOOTTIME on Linux: monotonic, counts suspend) cannot. When the two
//! disagree by more than [`CLOCK_JUMP_THRESHOLD_NS`] between two records, the
//! writer records a clock jump and the verifier checks it did.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Disagreement between wall and boot clock that counts as a clock jump.
pub const CLOCK_JUMP_THRESHOLD_NS: i64 = 2_000_000_000;

/// A point in time as both clocks saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timestamp {
    /// Nanoseconds since the Unix epoch, UTC (wall clock).
    pub utc_ns: i64,
    /// Nanoseconds since boot, including suspend (monotonic).
    pub boot_ns: u64,
}

impl Timestamp {
    /// How far the wall clock moved beyond (or short of) the boot clock from
    /// `earlier` to `self`, in nanoseconds: zero when both advanced equally.
    pub fn skew_since(&self, earlier: &Timestamp) -> i64 {
        let wall = i128::from(self.utc_ns) - i128::from(earlier.utc_ns);
        let boot = i128::from(self.boot_ns) - i128::from(earlier.boot_ns);
        (wall - boot).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The wall-clock time as RFC 3339 (UTC), for reports.
    pub fn utc_rfc3339(&self) -> String {
        format_utc(self.utc_ns)
    }
}

/// Formats Unix nanoseconds as RFC 3339 UTC with millisecond precision.
pub fn format_utc(utc_ns: i64) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(utc_ns))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| format!("{utc_ns} ns since the Unix epoch"))
}

/// A source of timestamps.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time on both clocks.
    fn now(&self) -> Timestamp;
}

/// The machine's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let utc_ns = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        };
        Timestamp {
            utc_ns,
            boot_ns: boot_ns(),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn boot_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn boot_ns() -> u64 {
    // CLOCK_MONOTONIC stops during suspend on some systems; the verifier then
    // sees a suspend as a clock jump, which errs on the side of reporting.
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

/// A deterministic clock for simulations and tests: every call advances both
/// clocks by a fixed step; [`ManualClock::jump_wall`] moves the wall clock alone.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<(Timestamp, i64)>,
    start: Timestamp,
}

impl ManualClock {
    /// Starts at `start`, advancing `step_ns` per reading.
    pub fn new(start: Timestamp, step_ns: i64) -> Self {
        Self {
            state: Mutex::new((start, step_ns)),
            start,
        }
    }

    /// Where the clock started.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The next reading, without advancing.
    pub fn peek(&self) -> Timestamp {
        self.with(|(t, _)| *t)
    }

    fn with<T>(&self, f: impl FnOnce(&mut (Timestamp, i64)) -> T) -> T {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Moves the wall clock by `delta_ns` without moving the boot clock.
    pub fn jump_wall(&self, delta_ns: i64) {
        self.with(|(t, _)| t.utc_ns = t.utc_ns.saturating_add(delta_ns));
    }

    /// Sets both clocks (tests of impossible clocks, such as a boot clock going back).
    pub fn set(&self, to: Timestamp) {
        self.with(|(t, _)| *t = to);
    }

    /// Advances both clocks by `delta_ns` (a pause, a suspend).
    pub fn advance(&self, delta_ns: u64) {
        self.with(|(t, _)| {
            t.utc_ns = t
                .utc_ns
                .saturating_add(i64::try_from(delta_ns).unwrap_or(i64::MAX));
            t.boot_ns = t.boot_ns.saturating_add(delta_ns);
        });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.with(|(t, step)| {
            let now = *t;
            t.utc_ns = t.utc_ns.saturating_add(*step);
            t.boot_ns = t.boot_ns.saturating_add(u64::try_from(*step).unwrap_or(0));
            now
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_boot_time_is_monotone() {
        let a = SystemClock.now();
        let b = SystemClock.now();
        assert!(b.boot_ns >= a.boot_ns);
        assert!(a.boot_ns > 0);
    }

    #[test]
    fn skew_is_zero_when_both_clocks_advance_together() {
        let c = ManualClock::new(
            Timestamp {
                utc_ns: 1_000,
                boot_ns: 5,
            },
            100,
        );
        let a = c.now();
        c.advance(3_000_000_000);
        let b = c.now();
        assert_eq!(b.skew_since(&a), 0);
        c.jump_wall(-3_600_000_000_000);
        let d = c.now();
        assert_eq!(d.skew_since(&b), -3_600_000_000_000);
    }

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_utc(1_500_000_000_123_000_000),
            "2017-07-14T02:40:00.123Z"
        );
    }
}
