//! Who vouches for each part of a session. Whoever holds the candidate's
//! machine holds its device key and can write a self-consistent session, so
//! "nothing was altered" is not enough: a record is **witnessed** when a
//! receipt under a backend key the verifier pinned covers it and the device
//! key that wrote it is the one that backend bound to the session before it
//! started (its signed statement, named by record 0); **machine-attested**
//! when only keys that lived on the candidate's machine signed it;
//! **unsigned** after the last checkpoint. Record times are also held
//! against the backend's: a record dated after the receipt that first
//! covered it, or before the statement, is a finding.

use std::path::Path;

use serde::Serialize;

use crate::clock::format_utc;
use crate::keys::NoteVerifier;
use crate::layout;
use crate::note::SignedNote;
use crate::record::to_hex;
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
    if (
        &statement.tenant_id,
        &statement.exam_id,
        &statement.session_id,
    ) != (&header.tenant_id, &header.exam_id, &header.session_id)
    {
        bad(
            f,
            format!(
                "is for session {} of exam {} (tenant {}), not this session",
                statement.session_id, statement.exam_id, statement.tenant_id
            ),
        );
        matches = false;
    }
    if statement.device_key != header.device_key.0 {
        bad(
            f,
            format!(
                "binds device key {}, but the session was recorded by device key {}: it was recorded on another computer or re-signed",
                fingerprint(&statement.device_key),
                fingerprint(&header.device_key.0)
            ),
        );
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
    if let Some(offset) = out.offset_ns
        && offset.abs() > MAX_CLOCK_OFFSET_NS
    {
        f.add(
            K::BadTime,
            Some(0),
            format!(
                "the machine's clock was {} {} the backend's when the session was bound: no time in this session can be relied on",
                span(offset.unsigned_abs()),
                if offset > 0 { "ahead of" } else { "behind" }
            ),
        );
    }
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
    });
    out
}

fn fingerprint(key: &[u8]) -> String {
    to_hex(&crate::merkle::sha256(key)[..8])
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
}

/// Splits the records by who vouches for them; records the unwitnessed
/// range as a finding unless the verifier accepts machine-attested evidence.
pub(crate) fn summarise(inp: &Inputs<'_>, f: &mut Findings) -> TrustSummary {
    let records = inp.log.records;
    let witnessed = if inp.receipts_pinned && inp.statement.binds {
        inp.cosigned.min(inp.signed).min(records)
    } else {
        0
    };
    let signed = inp.signed.min(records);
    let mut parts = Vec::new();
    if witnessed > 0 {
        parts.push(TrustPart {
            from: 0,
            to: witnessed,
            vouched_by: VouchedBy::Witnessed,
            why: format!(
                "cosigned by the pinned backend key {}, recorded by the device key it bound to the session",
                inp.backend_key.unwrap_or("")
            ),
        });
    }
    if signed > witnessed {
        let why = if !inp.receipts_pinned {
            "no backend key is pinned (--backend-key), so no receipt counts as the backend's word"
        } else if !inp.statement.binds {
            "no statement under the pinned backend key binds this device key to the session (it was recorded offline, or started without the backend)"
        } else {
            "no receipt under the pinned backend key covers them yet"
        };
        parts.push(TrustPart {
            from: witnessed,
            to: signed,
            vouched_by: VouchedBy::MachineAttested,
            why: why.to_owned(),
        });
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
        parts.push(TrustPart {
            from: signed,
            to: records,
            vouched_by: VouchedBy::Unsigned,
            why: "after the last checkpoint: no key signed them, anyone with the files could have written them"
                .to_owned(),
        });
    }
    let longest_witness_lag = check_times(inp, f);
    TrustSummary {
        backend_key_pinned: inp.receipts_pinned,
        statement: inp.statement.summary.clone(),
        device_key_bound: inp.statement.binds,
        parts,
        machine_attested_accepted: inp.accept_machine_attested,
        longest_witness_lag,
    }
}

/// Holds record times against the backend's: none after the receipt that
/// first covered it, none before the statement. Returns the longest wait.
fn check_times(inp: &Inputs<'_>, f: &mut Findings) -> Option<WitnessLag> {
    let st = inp.statement;
    let offset = st.offset_ns.unwrap_or(0);
    let tolerance = if st.offset_ns.is_some() {
        TOLERANCE_WITH_OFFSET_NS
    } else {
        TOLERANCE_WITHOUT_OFFSET_NS
    };
    let times = &inp.log.steady_utc;
    // The backend's time at which a record claims to have been written.
    let backend_time = |seq: u64| -> Option<i128> {
        let i = usize::try_from(seq).ok()?;
        times
            .get(i)
            .copied()
            .flatten()
            .map(|t| i128::from(t) - offset)
    };
    if let Some(start) = st.time {
        let start_ns = i128::from(start) * 1_000_000_000;
        let earliest = (0..inp.log.records)
            .filter_map(|seq| backend_time(seq).map(|t| (t, seq)))
            .min();
        if let Some((t, seq)) = earliest
            && t < start_ns - tolerance
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
    let mut lag: Option<WitnessLag> = None;
    let mut from = 0u64;
    for &(size, time) in inp.receipts {
        let to = size.min(inp.log.records);
        if to <= from {
            continue;
        }
        let cosigned_ns = i128::from(time) * 1_000_000_000;
        let latest = (from..to)
            .filter_map(|seq| backend_time(seq).map(|t| (t, seq)))
            .max();
        if let Some((t, seq)) = latest
            && t > cosigned_ns + tolerance
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
        if let Some(first) = backend_time(from) {
            let wait = (cosigned_ns - first) as f64 / 1e9;
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
