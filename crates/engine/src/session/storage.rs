//! A filling disk: the exam goes on and its evidence gives way in a stated
//! order. Screen pictures (the largest) stop first, then webcam snapshots,
//! then speech clips; the log is last, and the writer holds space back for
//! it. The candidate is told once, calmly; once space returns one record
//! says how long it was short and what was not stored meanwhile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What is still stored, from everything to the log alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Everything.
    Plenty,
    /// No screen pictures.
    NoScreens,
    /// No screen pictures, no webcam snapshots.
    NoSnapshots,
    /// The log (events, answers, checkpoints) and nothing else.
    LogOnly,
}

/// Free space under which each level begins. A three-hour exam at the
/// `standard` preset stores about 100 MB (0.52 MB a minute), most of it
/// screen pictures.
const SCREENS_BELOW: u64 = 200_000_000;
const SNAPSHOTS_BELOW: u64 = 100_000_000;
const CLIPS_BELOW: u64 = 50_000_000;
/// The disk is looked at this often (and whenever a write fails).
const CHECK_EVERY: Duration = Duration::from_secs(2);

impl Level {
    pub(crate) fn of_free(free: u64) -> Self {
        match free {
            f if f < CLIPS_BELOW => Self::LogOnly,
            f if f < SNAPSHOTS_BELOW => Self::NoSnapshots,
            f if f < SCREENS_BELOW => Self::NoScreens,
            _ => Self::Plenty,
        }
    }

    /// Whether a blob of `purpose` is stored at this level.
    pub(crate) fn stores(self, purpose: &str) -> bool {
        let needs = match purpose {
            "screen_capture" | "screen_recording" => Self::NoScreens,
            "webcam_snapshot" => Self::NoSnapshots,
            _ => Self::LogOnly,
        };
        self < needs
    }

    /// What is no longer stored, in the order it stopped.
    pub(crate) fn stopped(self) -> &'static [&'static str] {
        const ALL: [&str; 3] = ["screen pictures", "webcam snapshots", "speech clips"];
        match self {
            Self::Plenty => &[],
            Self::NoScreens => &ALL[..1],
            Self::NoSnapshots => &ALL[..2],
            Self::LogOnly => &ALL,
        }
    }
}

/// A change worth a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// Less is stored from now on (the first step of a shortage, or a further one).
    Worse {
        level: Level,
        free: u64,
        /// The first step of this shortage: the candidate is told.
        first: bool,
    },
    /// Space is back: everything is stored again.
    Recovered {
        free: u64,
        seconds: f64,
        /// Blobs not stored meanwhile, by purpose.
        not_stored: BTreeMap<String, u64>,
        /// The session ended before space came back.
        still_short: bool,
    },
}

#[derive(Debug)]
pub(crate) struct Storage {
    dir: PathBuf,
    level: Level,
    /// The worst level of this shortage (recorded once each).
    worst: Level,
    since: Option<Instant>,
    not_stored: BTreeMap<String, u64>,
    next_check: Instant,
}

/// Free bytes for an unprivileged writer where `dir` is.
fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

impl Storage {
    pub(crate) fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            level: Level::Plenty,
            worst: Level::Plenty,
            since: None,
            not_stored: BTreeMap::new(),
            next_check: Instant::now(),
        }
    }

    pub(crate) fn level(&self) -> Level {
        self.level
    }

    /// Looks at the free space (at most every two seconds).
    pub(crate) fn check(&mut self) -> Option<Change> {
        let now = Instant::now();
        if now < self.next_check {
            return None;
        }
        self.next_check = now + CHECK_EVERY;
        let free = free_bytes(&self.dir)?;
        self.step(Level::of_free(free), free, now)
    }

    /// A write failed for want of space, whatever statvfs said.
    pub(crate) fn full(&mut self) -> Option<Change> {
        let now = Instant::now();
        self.next_check = now + CHECK_EVERY;
        self.step(Level::LogOnly, 0, now)
    }

    /// A blob of `purpose` was not stored.
    pub(crate) fn not_stored(&mut self, purpose: &str) {
        *self.not_stored.entry(purpose.to_owned()).or_default() += 1;
    }

    /// The session ends short of space: what the record of the shortage
    /// says so far.
    pub(crate) fn at_end(&mut self) -> Option<Change> {
        let free = free_bytes(&self.dir).unwrap_or(0);
        self.since
            .map(|_| self.recovered(free, Instant::now(), true))
    }

    fn step(&mut self, level: Level, free: u64, now: Instant) -> Option<Change> {
        let was = self.level;
        self.level = level;
        if level == Level::Plenty {
            return (was != Level::Plenty).then(|| self.recovered(free, now, false));
        }
        let first = self.since.is_none();
        self.since.get_or_insert(now);
        if level <= self.worst {
            return None;
        }
        self.worst = level;
        Some(Change::Worse { level, free, first })
    }

    fn recovered(&mut self, free: u64, now: Instant, still_short: bool) -> Change {
        let since = self.since.take().unwrap_or(now);
        self.worst = Level::Plenty;
        Change::Recovered {
            free,
            seconds: now.duration_since(since).as_secs_f64(),
            not_stored: std::mem::take(&mut self.not_stored),
            still_short,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    #[test]
    fn media_gives_way_largest_first_and_the_log_last() {
        let order = [
            (500 * MB, Level::Plenty),
            (150 * MB, Level::NoScreens),
            (80 * MB, Level::NoSnapshots),
            (10 * MB, Level::LogOnly),
            (0, Level::LogOnly),
        ];
        for (free, level) in order {
            assert_eq!(Level::of_free(free), level, "{free}");
        }
        let stored = |l: Level| {
            [
                "screen_recording",
                "screen_capture",
                "webcam_snapshot",
                "speech_clip",
            ]
            .map(|p| l.stores(p))
        };
        assert_eq!(stored(Level::Plenty), [true; 4]);
        assert_eq!(stored(Level::NoScreens), [false, false, true, true]);
        assert_eq!(stored(Level::NoSnapshots), [false, false, false, true]);
        assert_eq!(stored(Level::LogOnly), [false; 4]);
        assert_eq!(Level::LogOnly.stopped().len(), 3);
    }

    #[test]
    fn a_shortage_is_told_once_per_step_and_summed_up_when_space_returns() {
        let mut s = Storage::new(Path::new("/"));
        let t = Instant::now();
        assert_eq!(s.step(Level::Plenty, 500 * MB, t), None);
        assert_eq!(
            s.step(Level::NoScreens, 150 * MB, t),
            Some(Change::Worse {
                level: Level::NoScreens,
                free: 150 * MB,
                first: true
            })
        );
        s.not_stored("screen_recording");
        // Back and forth across a threshold: one record per new depth.
        assert_eq!(
            s.step(Level::NoSnapshots, 90 * MB, t)
                .map(|c| matches!(c, Change::Worse { first: false, .. })),
            Some(true)
        );
        assert_eq!(s.step(Level::NoScreens, 110 * MB, t), None);
        assert_eq!(s.step(Level::NoSnapshots, 90 * MB, t), None);
        s.not_stored("webcam_snapshot");
        s.not_stored("screen_recording");
        let back = s.step(Level::Plenty, 300 * MB, t + Duration::from_secs(30));
        let Some(Change::Recovered {
            free,
            seconds,
            not_stored,
            still_short: false,
        }) = back
        else {
            panic!("{back:?}")
        };
        assert_eq!((free, seconds), (300 * MB, 30.0));
        assert_eq!(not_stored["screen_recording"], 2);
        assert_eq!(not_stored["webcam_snapshot"], 1);
        assert_eq!(s.at_end(), None, "no shortage open");
        // A failed write is a full disk, whatever was measured.
        assert!(matches!(
            s.full(),
            Some(Change::Worse {
                level: Level::LogOnly,
                first: true,
                ..
            })
        ));
        assert!(matches!(
            s.at_end(),
            Some(Change::Recovered {
                still_short: true,
                ..
            })
        ));
    }
}
