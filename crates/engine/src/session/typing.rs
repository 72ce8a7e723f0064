//! Typing that no person types. The exam page sends, with its autosaves,
//! the gaps between key presses in an answer and the texts that arrived in
//! one go; here they become a profile per answer (characters a second,
//! bursts, how much the gaps vary) and, where the typing is faster than a
//! person types or more regular than a person can be, a record for the
//! reviewer. Never a penalty by itself: a reviewer reads it with the answer.
//!
//! Defaults from published figures: in 136 million keystrokes of 168,000
//! volunteers (Dhakal et al., "Observations on Typing from 136 Million
//! Keystrokes", CHI 2018) the mean speed was 52 words a minute (about 4.3
//! characters a second), the fastest around 120 (10 a second), and the gap
//! between keys averaged 239 ms with a spread (standard deviation over
//! mean) near one half. Typing-contest records reach about 212 words a
//! minute sustained (18 characters a second). So: faster than 25
//! characters a second over 20 keys or more, or gaps that vary by less than
//! a tenth of their mean over 20 keys or more, are not a person's typing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What the page saw in one answer since its last autosave.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypingSample {
    /// Milliseconds between consecutive key presses that typed a character.
    #[serde(default)]
    pub intervals_ms: Vec<u32>,
    /// Lengths of texts that arrived in one go (not typed key by key).
    #[serde(default)]
    pub inserted: Vec<u32>,
}

/// The page sends at most this many gaps a save (a day of typing is fewer).
pub(crate) const MAX_INTERVALS: usize = 100_000;

/// Where typing stops looking like a person's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Faster than this over a burst of [`Thresholds::min_keys`] keys.
    pub max_chars_per_second: f64,
    /// Gaps that vary less than this (standard deviation / mean).
    pub min_interval_spread: f64,
    /// Keys a burst needs before it is judged.
    pub min_keys: usize,
    /// A text this long or longer arriving in one go.
    pub max_inserted: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            max_chars_per_second: 25.0,
            min_interval_spread: 0.1,
            min_keys: 20,
            max_inserted: 20,
        }
    }
}

/// A gap longer than this ends a burst (a pause to think).
const BURST_GAP_MS: u32 = 1000;

/// One answer's typing so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypingProfile {
    /// Characters typed key by key.
    pub keys: u64,
    /// Time spent typing (gaps within bursts), seconds.
    pub typing_seconds: f64,
    /// Characters a second while typing.
    pub chars_per_second: f64,
    /// Bursts of typing (gaps under a second).
    pub bursts: u64,
    /// The fastest burst of at least the judged length, characters a second.
    pub fastest_burst_cps: f64,
    /// The least varied burst of at least the judged length: standard
    /// deviation of its gaps over their mean (a person: around 0.5).
    pub least_spread: Option<f64>,
    /// Characters that arrived in one go, and the longest such text.
    pub inserted_chars: u64,
    /// The longest text that arrived in one go.
    pub longest_insert: u32,
}

/// Why typing was not a person's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub(crate) enum Unusual {
    /// A burst faster than a person types.
    TooFast {
        /// Characters a second.
        chars_per_second: f64,
        /// Keys in the burst.
        keys: usize,
    },
    /// A burst with gaps too even for a hand.
    TooRegular {
        /// Standard deviation over mean of its gaps.
        spread: f64,
        /// Keys in the burst.
        keys: usize,
    },
    /// A long text arrived at once.
    InsertedAtOnce {
        /// Its length.
        chars: u32,
    },
}

/// The names [`Unusual`] is recorded under (`why` in its detail).
const TAGS: [&str; 3] = ["too_fast", "too_regular", "inserted_at_once"];

impl Unusual {
    fn tag(&self) -> &'static str {
        match self {
            Self::TooFast { .. } => TAGS[0],
            Self::TooRegular { .. } => TAGS[1],
            Self::InsertedAtOnce { .. } => TAGS[2],
        }
    }

    /// In words, for the reviewer.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::TooFast {
                chars_per_second,
                keys,
            } => format!("{keys} keys typed at {chars_per_second:.0} characters a second"),
            Self::TooRegular { spread, keys } => format!(
                "{keys} keys typed with gaps that varied by only {:.0} % of their length",
                spread * 100.0
            ),
            Self::InsertedAtOnce { chars } => {
                format!("{chars} characters arrived at once, not typed key by key")
            }
        }
    }
}

/// Speed and spread of one burst's gaps.
fn judge(burst: &[u32]) -> (f64, f64) {
    let n = burst.len() as f64;
    let total_ms: f64 = burst.iter().map(|&g| f64::from(g)).sum();
    let cps = if total_ms > 0.0 {
        n / (total_ms / 1000.0)
    } else {
        f64::INFINITY
    };
    let mean = total_ms / n;
    let var = burst
        .iter()
        .map(|&g| (f64::from(g) - mean).powi(2))
        .sum::<f64>()
        / n;
    let spread = if mean > 0.0 { var.sqrt() / mean } else { 0.0 };
    (cps, spread)
}

/// Every answer's typing in this session.
#[derive(Debug, Default)]
pub(crate) struct Typing {
    thresholds: Thresholds,
    answers: BTreeMap<String, (TypingProfile, Vec<&'static str>)>,
    /// Answers typed into since their profile was last recorded.
    changed: BTreeSet<String>,
}

impl Typing {
    /// Judged by `thresholds`.
    pub(crate) fn new(thresholds: Thresholds) -> Self {
        Self {
            thresholds,
            answers: BTreeMap::new(),
            changed: BTreeSet::new(),
        }
    }

    /// Goes on from what an earlier segment of the session recorded: its
    /// last profile of the answer, and the kinds of unusual typing already
    /// recorded for it (`why` of its `machine_typing` records).
    pub(crate) fn carry_on(
        &mut self,
        question: &str,
        profile: Option<TypingProfile>,
        said: &[String],
    ) {
        let (p, known) = self.answers.entry(question.to_owned()).or_default();
        if let Some(profile) = profile {
            *p = profile;
        }
        for tag in TAGS {
            if said.iter().any(|s| s == tag) && !known.contains(&tag) {
                known.push(tag);
            }
        }
    }

    /// Adds what the page saw in `question`'s answer; returns what was
    /// unusual in it that this answer had not shown before (each kind is
    /// recorded once per answer).
    pub(crate) fn add(&mut self, question: &str, sample: &TypingSample) -> Vec<Unusual> {
        let t = self.thresholds;
        if !sample.intervals_ms.is_empty() || !sample.inserted.is_empty() {
            self.changed.insert(question.to_owned());
        }
        let (profile, said) = self.answers.entry(question.to_owned()).or_default();
        let mut found = Vec::new();
        let gaps = &sample.intervals_ms[..sample.intervals_ms.len().min(MAX_INTERVALS)];
        for burst in gaps.split(|&g| g >= BURST_GAP_MS).filter(|b| !b.is_empty()) {
            profile.bursts += 1;
            profile.keys += burst.len() as u64;
            profile.typing_seconds += burst.iter().map(|&g| f64::from(g)).sum::<f64>() / 1000.0;
            if burst.len() < t.min_keys {
                continue;
            }
            let (cps, spread) = judge(burst);
            profile.fastest_burst_cps = profile.fastest_burst_cps.max(cps.min(1e6));
            profile.least_spread = Some(profile.least_spread.map_or(spread, |s| s.min(spread)));
            if cps > t.max_chars_per_second {
                found.push(Unusual::TooFast {
                    chars_per_second: cps.min(1e6),
                    keys: burst.len(),
                });
            }
            if spread < t.min_interval_spread {
                found.push(Unusual::TooRegular {
                    spread,
                    keys: burst.len(),
                });
            }
        }
        for &chars in &sample.inserted {
            profile.inserted_chars += u64::from(chars);
            profile.longest_insert = profile.longest_insert.max(chars);
            if chars >= t.max_inserted {
                found.push(Unusual::InsertedAtOnce { chars });
            }
        }
        if profile.typing_seconds > 0.0 {
            profile.chars_per_second = profile.keys as f64 / profile.typing_seconds;
        }
        let mut new = Vec::new();
        for u in found {
            if !said.contains(&u.tag()) {
                said.push(u.tag());
                new.push(u);
            }
        }
        new
    }

    /// The profile of each answer typed into.
    #[cfg(test)]
    pub(crate) fn profiles(&self) -> impl Iterator<Item = (&str, &TypingProfile)> {
        self.answers.iter().map(|(q, (p, _))| (q.as_str(), p))
    }

    /// The profiles of the answers typed into since this was last asked.
    pub(crate) fn take_changed(&mut self) -> Vec<(String, TypingProfile)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|q| {
                let p = self.answers.get(&q)?.0.clone();
                Some((q, p))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A person: 3 to 8 characters a second, gaps varying from 60 to
    /// 400 ms, a pause to think every sentence (a fixed pseudo-random walk).
    fn human(keys: usize, seed: u64) -> Vec<u32> {
        let mut s = seed;
        (0..keys)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                if i % 60 == 59 {
                    2500 + (s % 3000) as u32
                } else {
                    60 + (s % 340) as u32
                }
            })
            .collect()
    }

    /// A profile goes into the log when an answer was typed into since the
    /// last one; a resumed session goes on from it and does not say again
    /// what it said before.
    #[test]
    fn profiles_are_taken_once_per_change_and_carried_across_a_resume() {
        let mut t = Typing::new(Thresholds::default());
        let machine = TypingSample {
            intervals_ms: vec![5; 100],
            inserted: vec![],
        };
        assert_eq!(t.add("essay", &machine).len(), 2);
        t.add("q2", &TypingSample::default());
        let taken = t.take_changed();
        assert_eq!(taken.len(), 1, "an empty sample changes nothing: {taken:?}");
        assert_eq!(taken[0].1.keys, 100);
        assert_eq!(t.take_changed(), []);

        // Resumed: the earlier profile and what was said about it carry on.
        let mut resumed = Typing::new(Thresholds::default());
        resumed.carry_on("essay", Some(taken[0].1.clone()), &["too_fast".into()]);
        let found = resumed.add("essay", &machine);
        let kinds: Vec<_> = found.iter().map(Unusual::tag).collect();
        assert_eq!(
            kinds,
            ["too_regular"],
            "too_fast was recorded before the resume"
        );
        let after = resumed.take_changed();
        assert_eq!(after[0].1.keys, 200, "counted on from the first segment");
    }

    #[test]
    fn a_persons_typing_is_unremarkable_and_profiled() {
        let mut t = Typing::new(Thresholds::default());
        for seed in 1..20 {
            let sample = TypingSample {
                intervals_ms: human(400, seed),
                inserted: vec![1, 3],
            };
            assert_eq!(t.add(&format!("q{seed}"), &sample), [], "seed {seed}");
        }
        let (_, p) = t.profiles().next().unwrap();
        assert_eq!(p.keys, 394, "the pauses are not typing");
        assert!((3.0..=8.0).contains(&p.chars_per_second), "{p:?}");
        assert!(p.least_spread.unwrap() > 0.3, "{p:?}");
        assert_eq!(p.bursts, 7);
    }

    #[test]
    fn a_machine_at_five_ms_a_key_is_too_fast_and_too_regular_once() {
        let mut t = Typing::new(Thresholds::default());
        let machine = TypingSample {
            intervals_ms: vec![5; 200],
            inserted: vec![],
        };
        let found = t.add("essay", &machine);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            matches!(found[0], Unusual::TooFast { chars_per_second, keys: 200 } if chars_per_second == 200.0)
        );
        assert!(matches!(found[1], Unusual::TooRegular { spread, .. } if spread == 0.0));
        assert!(found[0].describe().contains("200 characters a second"));
        assert_eq!(t.add("essay", &machine), [], "each kind once per answer");
        let (_, p) = t.profiles().next().unwrap();
        assert_eq!(p.keys, 400);
        assert_eq!(p.fastest_burst_cps, 200.0);
    }

    #[test]
    fn a_slow_but_metronomic_typist_is_too_regular_and_a_paste_is_at_once() {
        let mut t = Typing::new(Thresholds::default());
        let found = t.add(
            "q1",
            &TypingSample {
                intervals_ms: vec![250, 251, 249, 250]
                    .into_iter()
                    .cycle()
                    .take(40)
                    .collect(),
                inserted: vec![450],
            },
        );
        let kinds: Vec<_> = found.iter().map(Unusual::tag).collect();
        assert_eq!(kinds, ["too_regular", "inserted_at_once"]);
        // Short bursts are not judged: a few quick keys are a person too.
        assert_eq!(
            t.add(
                "q2",
                &TypingSample {
                    intervals_ms: vec![5; 10],
                    inserted: vec![]
                }
            ),
            []
        );
    }
}
