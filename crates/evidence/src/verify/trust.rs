//! Who vouches for each part of a session. Whoever holds the candidate's
//! machine holds its device key and can write a self-consistent session, so
//! "nothing was altered" is not enough: a record is **witnessed** when a
//! receipt under a backend key the verifier pinned covers it and the device
//! key that wrote it is the one that backend bound to the session before it
//! started (its signed statement, named by record 0); **machine-attested**
//! when only keys that lived on the candidate's machine signed it;
//! **unsigned** after the last checkpoint. A witnessed record whose receipt
//! came long after it was recorded (the machine was offline) is **witnessed
//! late**: until then only the machine vouched for it. Record times are also
//! held against the backend's: a record dated after the receipt that first
//! covered it, or before the statement, is a finding.

use std::path::Path;

use serde::Serialize;

use crate::clock::format_utc;
use crate::keys::NoteVerifier;
use crate::layout;
use crate::note::SignedNote;
use crate::record::fingerprint;
use crate::statement::SessionStatement;

use super::log::LogState;
use super::notes::{MAX_FUTURE_SECS, ValidReceipts, now_secs};
use super::{FindingKind as K, Findings, SeqRange};

/// How far a record's time may pass the backend's when the client's clock
/// offset is known from the statement: drift and network delay, not more.
const TOLERANCE_WITH_OFFSET_NS: i128 = 10 * 60 * 1_000_000_000;
/// Without a known offset: wrong time zones and unsynchronised clocks are
/// common and innocent; a day still catches records dated months ahead.
const TOLERANCE_WITHOUT_OFFSET_NS: i128 = 24 * 3600 * 1_000_000_000;
/// A clock further off than this makes every time in the session unreliable.
const MAX_CLOCK_OFFSET_NS: i128 = 24 * 3600 * 1_000_000_000;

/// Who vouches for a range of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VouchedBy {
    /// A backend the verifier trusts cosigned them, recorded by the device it bound.
    Witnessed,
    /// Cosigned, but only long after they were recorded: until then only the
    /// machine vouched for them (it was offline).
    WitnessedLate,
    /// Only keys on the candidate's machine signed them.
    MachineAttested,
    /// No checkpoint covers them: anyone with the files could have written them.
    Unsigned,
}

/// A range of records and who vouches for it.
#[derive(Debug, Clone, Serialize)]
pub struct TrustPart {
    /// First record.
    pub from: u64,
    /// One past the last record.
    pub to: u64,
    /// Who vouches for them.
    pub vouched_by: VouchedBy,
    /// Why, in plain words.
    pub why: String,
}

/// The backend's session statement, as found.
#[derive(Debug, Clone, Serialize)]
pub struct StatementSummary {
    /// Why the backend made it (`join`, `exam-key`, `start`).
    pub event: String,
    /// The backend's time on it.
    pub utc: String,
    /// Fingerprint of the device key it binds.
    pub device_key_fingerprint: String,
    /// Whether its signature verified under the pinned backend key.
    pub verified_with_pinned_key: bool,
    /// How far the machine's clock was ahead of the backend's (negative:
    /// behind) when it asked, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_clock_offset_s: Option<f64>,
    /// How long after the statement record 0 was written (by the backend's
    /// clock), seconds: a session recorded long after it was bound shows here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_started_after_s: Option<f64>,
}

/// The longest wait between a record and the receipt that first covered it.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessLag {
    /// The records first covered by that receipt.
    pub records: SeqRange,
    /// Seconds from the first of them to the receipt.
    pub seconds: f64,
}

/// Who vouches for the session.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrustSummary {
    /// Whether the verifier pinned the backend key (`--backend-key`).
    pub backend_key_pinned: bool,
    /// The backend's statement binding the session to its device key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementSummary>,
    /// Whether a statement under the pinned key binds the session's device key.
    pub device_key_bound: bool,
    /// The records, range by range, and who vouches for each.
    pub parts: Vec<TrustPart>,
    /// The verifier accepted machine-attested records (`--accept-machine-attested`).
    pub machine_attested_accepted: bool,
    /// The longest wait for a receipt (an offline stretch uploaded later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_witness_lag: Option<WitnessLag>,
}

/// What the statement check found.
#[derive(Debug, Default)]
pub(crate) struct Statement {
    pub(crate) summary: Option<StatementSummary>,
    /// Verified under the pinned key and naming this session and device.
    pub(crate) binds: bool,
    /// The backend's time (POSIX seconds), when the signature verified.
    pub(crate) time: Option<u64>,
    /// Client clock minus backend clock at the statement, ns.
    pub(crate) offset_ns: Option<i128>,
}

/// Reads and checks `statement` against record 0 and the backend key.
pub(crate) fn check_statement(
    dir: &Path,
    log: &LogState,
    pinned: Option<&NoteVerifier>,
    f: &mut Findings,
) -> Statement {
    let mut out = Statement::default();
    let Some(header) = &log.header else {
        return out;
    };
    let path = dir.join(layout::STATEMENT);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(nonce) = &header.server_nonce {
                f.add(
                    K::BadStatement,
                    Some(0),
                    format!("record 0 names the backend's session statement (nonce {nonce}), but the statement file is missing: it was removed"),
                );
            }
            return out;
        }
        Err(e) => {
            f.add(
                K::DamagedFile,
                None,
                format!("the statement file cannot be read: {e}"),
            );
            return out;
        }
    };
    let bad = |f: &mut Findings, why: String| {
        f.add(
            K::BadStatement,
            None,
            format!("the backend's session statement {why}"),
        );
    };
    let note = match SignedNote::parse(&bytes) {
        Ok(n) => n,
        Err(e) => {
            bad(f, format!("is not a signed note: {e}"));
            return out;
        }
    };
    let statement = match SessionStatement::parse(note.text()) {
        Ok(s) => s,
        Err(e) => {
            bad(f, format!("cannot be read: {e}"));
            return out;
        }
    };
    let mut matches = true;
    if header.server_nonce.as_deref() != Some(statement.nonce.as_str()) {
        bad(
            f,
            format!(
                "has nonce {}, but record 0 names {}: it belongs to another start",
                statement.nonce,
                header.server_nonce.as_deref().unwrap_or("none")
            ),
        );
        matches = false;
    }
    if let Some(why) = statement.mismatch(
        &header.tenant_id,
        &header.exam_id,
        &header.session_id,
        &header.device_key.0,
    ) {
        bad(f, why);
        matches = false;
    }
    // The key the session names itself is checked too (a broken signature
    // is tampering either way), but only a pinned key binds anything.
    let named = header
        .backend_key
        .as_deref()
        .and_then(|k| NoteVerifier::parse(k).ok());
    let mut verified_with_pinned_key = false;
    if let Some(key) = pinned.or(named.as_ref()) {
        match SessionStatement::verify(&note, key) {
            Ok((_, time)) if time > now_secs() + MAX_FUTURE_SECS => {
                bad(f, format!("is dated in the future (POSIX time {time})"));
            }
            Ok((_, time)) => {
                out.time = Some(time);
                verified_with_pinned_key = pinned.is_some();
            }
            Err(e) => bad(
                f,
                format!(
                    "does not verify under the {} backend key: {e}",
                    if pinned.is_some() {
                        "pinned"
                    } else {
                        "session's own"
                    }
                ),
            ),
        }
    }
    out.offset_ns = match (statement.client_time_ns, out.time) {
        (Some(client), Some(time)) => Some(i128::from(client) - i128::from(time) * 1_000_000_000),
        _ => None,
    };
    out.binds = matches && verified_with_pinned_key;
    out.summary = Some(StatementSummary {
        event: statement.event.as_str().to_owned(),
        utc: out
            .time
            .map(|t| {
                format_utc(
                    i64::try_from(t)
                        .unwrap_or(i64::MAX)
                        .saturating_mul(1_000_000_000),
                )
            })
            .unwrap_or_else(|| "not verified".to_owned()),
        device_key_fingerprint: fingerprint(&statement.device_key),
        verified_with_pinned_key,
        client_clock_offset_s: out.offset_ns.map(|o| o as f64 / 1e9),
        session_started_after_s: None,
    });
    out
}

/// A duration in words: "3 h 02 min", "41 s", "2 d 4 h".
pub fn span(ns: u128) -> String {
    let s = ns / 1_000_000_000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        3600..86_400 => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// What the parts of the report are built from.
pub(crate) struct Inputs<'a> {
    pub(crate) log: &'a LogState,
    pub(crate) statement: &'a Statement,
    pub(crate) receipts: &'a ValidReceipts,
    pub(crate) receipts_pinned: bool,
    pub(crate) signed: u64,
    pub(crate) cosigned: u64,
    pub(crate) backend_key: Option<&'a str>,
    pub(crate) accept_machine_attested: bool,
    /// Longest wait for a receipt before a record counts as witnessed late.
    pub(crate) max_receipt_delay_ns: i128,
}

/// How the records' times can be read against the backend's.
struct Times<'a> {
    steady_utc: &'a [Option<i64>],
    /// The machine's clock minus the backend's at the statement.
    offset: i128,
    /// How far a time may pass the backend's before it is a finding.
    tolerance: i128,
    /// From this record on the machine had restarted (its clock unknown).
    restarted_from: u64,
}

impl Times<'_> {
    /// The backend's time at which a record claims to have been written.
    fn backend_time(&self, seq: u64) -> Option<i128> {
        let i = usize::try_from(seq).ok()?;
        self.steady_utc
            .get(i)
            .copied()
            .flatten()
            .map(|t| i128::from(t) - self.offset)
    }

    fn tolerance(&self, seq: u64) -> i128 {
        if seq >= self.restarted_from {
            TOLERANCE_WITHOUT_OFFSET_NS
        } else {
            self.tolerance
        }
    }
}

/// Splits the records by who vouches for them; records what is not
/// witnessed (in time) as findings unless the verifier accepts
/// machine-attested evidence; holds record times against the backend's.
pub(crate) fn summarise(inp: &Inputs<'_>, f: &mut Findings) -> TrustSummary {
    let records = inp.log.records;
    let witnessed = if inp.receipts_pinned && inp.statement.binds {
        inp.cosigned.min(inp.signed).min(records)
    } else {
        0
    };
    let signed = inp.signed.min(records);
    let st = inp.statement;
    let times = Times {
        steady_utc: &inp.log.steady_utc,
        offset: st.offset_ns.unwrap_or(0),
        tolerance: if st.offset_ns.is_some() {
            TOLERANCE_WITH_OFFSET_NS
        } else {
            TOLERANCE_WITHOUT_OFFSET_NS
        },
        restarted_from: inp.log.restarted_from.unwrap_or(u64::MAX),
    };
    let clock_reliable = st.offset_ns.is_none_or(|o| o.abs() <= MAX_CLOCK_OFFSET_NS);
    if !clock_reliable && !inp.accept_machine_attested {
        let offset = st.offset_ns.unwrap_or(0);
        f.add(
            K::UnreliableClock,
            Some(0),
            format!(
                "the machine's clock was {} {} the backend's when the session was bound: no time in this session can be held against the backend's, only the machine vouches for them",
                span(offset.unsigned_abs()),
                if offset > 0 { "ahead of" } else { "behind" }
            ),
        );
    }
    let late = if clock_reliable {
        check_times(inp, &times, witnessed, f)
    } else {
        Vec::new()
    };
    let mut parts = Vec::new();
    let witnessed_why = format!(
        "cosigned by the pinned backend key {} within {} of being recorded, recorded by the device key it bound to the session",
        inp.backend_key.unwrap_or(""),
        span(inp.max_receipt_delay_ns.unsigned_abs())
    );
    let mut at = 0;
    for l in &late {
        if l.records.from > at {
            parts.push(part(
                at,
                l.records.from,
                VouchedBy::Witnessed,
                &witnessed_why,
            ));
        }
        let why = format!(
            "cosigned by the pinned backend key, but only {} after they were recorded: until then only the machine vouched for them (it was offline{})",
            span(l.seconds_ns.unsigned_abs()),
            if l.records.to > times.restarted_from {
                ", or its clock was wrong after it restarted"
            } else {
                ""
            }
        );
        parts.push(part(
            l.records.from,
            l.records.to,
            VouchedBy::WitnessedLate,
            &why,
        ));
        if !inp.accept_machine_attested {
            f.add(
                K::WitnessedLate,
                Some(l.records.from),
                format!("records {}–{} were {why}", l.records.from, l.records.to - 1),
            );
        }
        at = l.records.to;
    }
    if witnessed > at {
        parts.push(part(at, witnessed, VouchedBy::Witnessed, &witnessed_why));
    }
    if signed > witnessed {
        let why = if !inp.receipts_pinned {
            "no backend key is pinned (--backend-key), so no receipt counts as the backend's word"
        } else if !inp.statement.binds {
            "no statement under the pinned backend key binds this device key to the session (it was recorded offline, or started without the backend)"
        } else {
            "no receipt under the pinned backend key covers them yet"
        };
        parts.push(part(witnessed, signed, VouchedBy::MachineAttested, why));
        if !inp.accept_machine_attested {
            f.add(
                K::NotWitnessed,
                Some(witnessed),
                format!(
                    "records {witnessed}–{} are vouched for only by keys that lived on the candidate's machine: {why}; their owner could have written them",
                    signed - 1
                ),
            );
        }
    }
    if records > signed {
        parts.push(part(
            signed,
            records,
            VouchedBy::Unsigned,
            "after the last checkpoint: no key signed them, anyone with the files could have written them",
        ));
    }
    let longest_witness_lag = longest_lag(inp, &times);
    let mut statement = st.summary.clone();
    if let (Some(summary), Some(start), Some(first)) =
        (statement.as_mut(), st.time, times.backend_time(0))
    {
        summary.session_started_after_s =
            Some((first - i128::from(start) * 1_000_000_000) as f64 / 1e9);
    }
    TrustSummary {
        backend_key_pinned: inp.receipts_pinned,
        statement,
        device_key_bound: inp.statement.binds,
        parts,
        machine_attested_accepted: inp.accept_machine_attested,
        longest_witness_lag,
    }
}

fn part(from: u64, to: u64, vouched_by: VouchedBy, why: &str) -> TrustPart {
    TrustPart {
        from,
        to,
        vouched_by,
        why: why.to_owned(),
    }
}

/// Records the backend witnessed only long after they were dated.
struct Late {
    records: SeqRange,
    /// The longest wait among them, ns.
    seconds_ns: i128,
}

/// Holds record times against the backend's: none after the receipt that
/// first covered it, none before the statement. Returns the witnessed
/// records whose receipt came more than the allowed delay after them.
fn check_times(inp: &Inputs<'_>, times: &Times<'_>, witnessed: u64, f: &mut Findings) -> Vec<Late> {
    let st = inp.statement;
    if let Some(start) = st.time {
        let start_ns = i128::from(start) * 1_000_000_000;
        let earliest = (0..inp.log.records)
            .filter_map(|seq| {
                times
                    .backend_time(seq)
                    .map(|t| (t + times.tolerance(seq), t, seq))
            })
            .min();
        if let Some((bound, t, seq)) = earliest
            && bound < start_ns
        {
            f.add(
                K::TimeBeforeStatement,
                Some(seq),
                format!(
                    "record {seq} is dated {} before the backend bound the session ({}): the session was recorded before it started, or its times were altered",
                    span((start_ns - t).unsigned_abs()),
                    format_utc(i64::try_from(start).unwrap_or(i64::MAX).saturating_mul(1_000_000_000))
                ),
            );
        }
    }
    let mut late: Vec<Late> = Vec::new();
    let mut from = 0u64;
    for &(size, time) in inp.receipts {
        let to = size.min(inp.log.records);
        if to <= from {
            continue;
        }
        let cosigned_ns = i128::from(time) * 1_000_000_000;
        let latest = (from..to)
            .filter_map(|seq| {
                times
                    .backend_time(seq)
                    .map(|t| (t - times.tolerance(seq), t, seq))
            })
            .max();
        if let Some((bound, t, seq)) = latest
            && bound > cosigned_ns
        {
            f.add(
                K::TimeAfterReceipt,
                Some(seq),
                format!(
                    "record {seq} is dated {} after the backend cosigned it (receipt for {size} records at {}): the machine's clock ran ahead, or the times were altered",
                    span((t - cosigned_ns).unsigned_abs()),
                    format_utc(i64::try_from(time).unwrap_or(i64::MAX).saturating_mul(1_000_000_000))
                ),
            );
        }
        for seq in from..to.min(witnessed) {
            let Some(t) = times.backend_time(seq) else {
                continue;
            };
            let wait = cosigned_ns - t;
            if wait <= inp.max_receipt_delay_ns {
                continue;
            }
            match late.last_mut() {
                Some(l) if l.records.to == seq => {
                    l.records.to = seq + 1;
                    l.seconds_ns = l.seconds_ns.max(wait);
                }
                _ => late.push(Late {
                    records: SeqRange {
                        from: seq,
                        to: seq + 1,
                    },
                    seconds_ns: wait,
                }),
            }
        }
        from = to;
    }
    late
}

/// The longest wait between a record and the receipt that first covered it.
fn longest_lag(inp: &Inputs<'_>, times: &Times<'_>) -> Option<WitnessLag> {
    let mut lag: Option<WitnessLag> = None;
    let mut from = 0u64;
    for &(size, time) in inp.receipts {
        let to = size.min(inp.log.records);
        if to <= from {
            continue;
        }
        if let Some(first) = times.backend_time(from) {
            let wait = (i128::from(time) * 1_000_000_000 - first) as f64 / 1e9;
            if lag.as_ref().is_none_or(|l| wait > l.seconds) {
                lag = Some(WitnessLag {
                    records: SeqRange { from, to },
                    seconds: wait.max(0.0),
                });
            }
        }
        from = to;
    }
    lag
}
