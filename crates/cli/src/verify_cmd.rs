//! `paraakh verify`: runs the evidence verifier and reports for a person or a script.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use paraakh_evidence::keys::{NoteVerifier, SIG_TYPE_COSIGNATURE_V1};
use paraakh_evidence::verify::{Report, SeqRange, VouchedBy};
use paraakh_evidence::{FindingKind, Severity, Status, TenantSecretKey, VerifyOptions, verify};

use crate::VerifyArgs;
use crate::render::{bytes, thousands};

/// Findings listed in the human report before the rest are summarised.
const MAX_LISTED: usize = 50;

pub(crate) fn read_key<T>(
    path: &std::path::Path,
    what: &str,
    parse: impl Fn(&str) -> Result<T, paraakh_evidence::keys::KeyError>,
) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    let text = text.trim();
    parse(text).map_err(|e| {
        let hint = if text.starts_with("paraakh-x25519-public-key+") {
            " (this is the public encryption.pub; decrypting needs the secret encryption.key)"
        } else {
            ""
        };
        anyhow::anyhow!("{}: {e}{hint}", path.display())
    })
}

/// The backend's cosigning key (a vkey of type 0x04) from a file.
pub(crate) fn read_backend_key(path: &std::path::Path) -> anyhow::Result<NoteVerifier> {
    read_key(path, "backend cosigning key", |t| {
        NoteVerifier::parse(t).and_then(|v| v.require_type(SIG_TYPE_COSIGNATURE_V1))
    })
}

pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let tenant_key = args
        .tenant_key
        .as_deref()
        .map(|p| read_key(p, "tenant encryption secret key", TenantSecretKey::parse))
        .transpose()?;
    let backend_key = args
        .backend_key
        .as_deref()
        .map(read_backend_key)
        .transpose()?;
    let decrypting = tenant_key.is_some();
    let opts = VerifyOptions {
        tenant_key,
        backend_key,
        accept_machine_attested: args.accept_machine_attested,
        against: args.against.clone(),
        max_receipt_delay: Some(args.max_receipt_delay),
        threads: args.threads,
        reviewer_keys: args
            .reviewer_key
            .iter()
            .map(|p| crate::review_cmd::reviewer_verifier(p))
            .collect::<anyhow::Result<_>>()?,
    };
    let report = verify(&args.dir, &opts)?;
    if args.json {
        crate::render::print_json(&report)?;
    } else {
        crate::render::out(&human(&report, decrypting))?;
    }
    Ok(match report.status {
        Status::Intact => ExitCode::SUCCESS,
        Status::Truncated | Status::NotWitnessed | Status::Invalid => ExitCode::from(1),
    })
}

/// The review log and where the review stands (a person decides, never this program).
fn review_lines(s: &mut String, r: &Report) {
    use paraakh_evidence::verify::review::Outcome;
    let review = &r.review;
    let outcome = match review.outcome {
        Outcome::NothingToReview => "nothing to review (no high or critical event)".to_owned(),
        Outcome::Reviewed => "reviewed: every high or critical event has a decision".to_owned(),
        Outcome::PendingReview => format!(
            "pending review: {} high or critical event{} without a decision",
            review.pending.len(),
            if review.pending.len() == 1 { "" } else { "s" }
        ),
    };
    let _ = writeln!(s, "  · review       {outcome}");
    for d in review
        .decisions
        .iter()
        .filter(|d| d.superseded_by.is_none())
    {
        let _ = writeln!(
            s,
            "                   record {}: {} by {} ({}key {}) at {}",
            thousands(d.event_seq),
            d.verdict.as_str(),
            d.reviewer,
            if d.reviewer_pinned { "trusted " } else { "" },
            d.reviewer_key_fingerprint,
            d.time_utc
        );
    }
}

fn by_severity(counts: &std::collections::BTreeMap<Severity, u64>) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|sev| {
            counts
                .get(sev)
                .map(|n| format!("{} {}", sev.as_str(), thousands(*n)))
        })
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// The statement and who vouches for each part of the session.
fn trust(s: &mut String, r: &Report, statement_bad: bool) {
    let t = &r.trust;
    match &t.statement {
        Some(st) => {
            let clock = st
                .client_clock_offset_s
                .map(|o| {
                    format!(
                        "; the machine's clock was {:.1} s {} the backend's",
                        o.abs(),
                        if o >= 0.0 { "ahead of" } else { "behind" }
                    )
                })
                .unwrap_or_default();
            let started = st
                .session_started_after_s
                .filter(|secs| *secs >= 3600.0)
                .map(|secs| {
                    format!(
                        "; the session's first record is dated {} after it",
                        paraakh_evidence::verify::trust::span((secs * 1e9) as u128)
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {} statement    the backend bound device key {} to the session ({}, {}){}{}{}",
                mark(!statement_bad),
                st.device_key_fingerprint,
                st.event,
                st.utc,
                clock,
                started,
                if st.verified_with_pinned_key {
                    ""
                } else {
                    "; not checked against a pinned backend key"
                }
            );
        }
        None if statement_bad => {
            let _ = writeln!(s, "  ✗ statement    missing (see the findings)");
        }
        None => {
            let _ = writeln!(
                s,
                "  · statement    none: no backend bound this device key to the session before it started (recorded offline)"
            );
        }
    }
    let _ = writeln!(s, "  · vouched for by:");
    for p in &t.parts {
        let who = match p.vouched_by {
            VouchedBy::Witnessed => "witnessed       ",
            VouchedBy::WitnessedLate => "witnessed late  ",
            VouchedBy::MachineAttested => "machine-attested",
            VouchedBy::Unsigned => "unsigned        ",
        };
        let _ = writeln!(
            s,
            "                   {who} records {}: {}",
            range(&SeqRange {
                from: p.from,
                to: p.to
            }),
            p.why
        );
    }
    if let Some(lag) = &t.longest_witness_lag
        && lag.seconds >= 120.0
    {
        let _ = writeln!(
            s,
            "                   longest wait for a receipt: {} (records {}, recorded offline and uploaded later)",
            paraakh_evidence::verify::trust::span((lag.seconds * 1e9) as u128),
            range(&lag.records)
        );
    }
}

fn range(r: &SeqRange) -> String {
    format!(
        "{}–{}",
        thousands(r.from),
        thousands(r.to.saturating_sub(1))
    )
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

/// The report a person reads.
fn human(r: &Report, decrypting: bool) -> String {
    let has = |kinds: &[FindingKind]| r.findings.iter().any(|f| kinds.contains(&f.kind));
    let mut s = String::new();
    let _ = writeln!(s, "Evidence in {}", r.dir.display());
    if let Some(info) = &r.session {
        let _ = writeln!(
            s,
            "  session {} · exam {} · tenant {}",
            info.session_id, info.exam_id, info.tenant_id
        );
        let _ = writeln!(
            s,
            "  started {}, last record {}",
            info.started_utc, info.last_record_utc
        );
        let _ = writeln!(
            s,
            "  client {} (build {}), policy {}, device key {}",
            info.client_version,
            &info.client_build_sha256[..16],
            &info.policy_sha256[..16],
            info.device_key_fingerprint
        );
    }
    match &r.ended {
        Some(end) => {
            let _ = writeln!(s, "  ended ({}) at {}", end.reason, end.utc);
        }
        None => {
            let _ = writeln!(
                s,
                "  NOT ENDED: the client stopped and the session was not resumed"
            );
        }
    }
    s.push('\n');

    let log_ok = !has(&[
        FindingKind::DamagedRecord,
        FindingKind::BadRecord,
        FindingKind::SequenceGap,
        FindingKind::BadHeader,
        FindingKind::BadSegment,
        FindingKind::RecordAfterEnd,
    ]);
    let _ = writeln!(
        s,
        "  {} records      {} in sequence, {} segment{}",
        mark(log_ok),
        thousands(r.records),
        r.segments.len(),
        if r.segments.len() == 1 {
            ""
        } else {
            "s (resumed after the client stopped)"
        }
    );
    for seg in r.segments.iter().skip(1) {
        let _ = writeln!(
            s,
            "                   segment {} from record {} after a gap of {:.0} s, new session key {}",
            seg.segment,
            thousands(seg.first_seq),
            seg.gap_s.unwrap_or_default(),
            seg.session_key_fingerprint
        );
    }
    let ckpt_ok = !has(&[
        FindingKind::BadCheckpoint,
        FindingKind::RootMismatch,
        FindingKind::UnreferencedCheckpoint,
        FindingKind::MissingCheckpoint,
        FindingKind::FinalCheckpointMissing,
    ]);
    let _ = writeln!(
        s,
        "  {} checkpoints  {} signed by the certified session key{}, covering records 0–{}",
        mark(ckpt_ok),
        thousands(r.checkpoints.count),
        if r.segments.len() > 1 { "s" } else { "" },
        thousands(r.checkpoints.signed_size.saturating_sub(1))
    );
    if let Some(u) = &r.unsigned {
        let _ = writeln!(
            s,
            "                   unsigned: records {} (no checkpoint covers them)",
            range(u)
        );
    }
    let receipts_ok = !has(&[
        FindingKind::BadReceipt,
        FindingKind::MissingReceipt,
        FindingKind::ReceiptUnverifiable,
    ]);
    if r.receipts.count == 0 && receipts_ok {
        let _ = writeln!(
            s,
            "  · receipts     none: the backend has not cosigned any checkpoint yet"
        );
    } else {
        let _ = writeln!(
            s,
            "  {} receipts     {} cosigned by {}, covering records 0–{}",
            mark(receipts_ok),
            thousands(r.receipts.count),
            r.receipts
                .backend_key
                .as_deref()
                .unwrap_or("an unknown backend key"),
            thousands(r.receipts.cosigned_size.saturating_sub(1))
        );
        if !r.receipts.backend_key_pinned {
            let _ = writeln!(
                s,
                "                   that key is the one the session names itself: pass --backend-key with the key you trust"
            );
        }
    }
    trust(&mut s, r, has(&[FindingKind::BadStatement]));
    let blobs_ok = !has(&[
        FindingKind::MissingBlob,
        FindingKind::BadBlob,
        FindingKind::UnreferencedBlob,
        FindingKind::UncommittedBlob,
    ]);
    let decrypted = match r.blobs.decrypted {
        Some(n) => format!("; {} decrypted and matched", thousands(n)),
        None if decrypting => String::new(),
        None => "; not decrypted (pass --tenant-key to check contents)".to_owned(),
    };
    let _ = writeln!(
        s,
        "  {} blobs        {} of {} present with matching hashes, {}{}",
        mark(blobs_ok),
        thousands(r.blobs.verified),
        thousands(r.blobs.referenced),
        bytes(r.blobs.bytes),
        decrypted
    );
    let answers_ok = !has(&[FindingKind::BadAnswer]);
    let _ = writeln!(
        s,
        "  {} answers      {} autosaves of {} questions; {}{}",
        mark(answers_ok),
        thousands(r.answers.saves),
        r.answers.questions,
        match r.answers.submitted {
            Some(n) => format!("submission names {n} answers"),
            None => "no submission".to_owned(),
        },
        r.answers
            .decrypted
            .map(|n| format!("; {n} decrypted and matched"))
            .unwrap_or_default()
    );
    let time_ok = !has(&[FindingKind::BadTime]);
    let _ = writeln!(
        s,
        "  {} time         {} clock jump{} recorded; largest gap between records {:.1} s",
        mark(time_ok),
        r.clock.jumps.len(),
        if r.clock.jumps.len() == 1 { "" } else { "s" },
        r.clock.largest_gap_s
    );
    for j in r.clock.jumps.iter().take(10) {
        let _ = writeln!(
            s,
            "                   record {}: wall clock moved {:+.1} s against the boot clock (now {})",
            thousands(j.seq),
            j.skew_s,
            j.utc
        );
    }
    let _ = writeln!(s, "  · events       {}", by_severity(&r.events));
    if !r.unsigned_events.is_empty() {
        let _ = writeln!(
            s,
            "                   not counted: {} after the last checkpoint, unsigned (anyone with the files could have written them)",
            by_severity(&r.unsigned_events)
        );
    }
    for e in &r.environment.records {
        let _ = writeln!(
            s,
            "  · environment  record {}: {}",
            thousands(e.seq),
            e.summary
        );
    }
    if !r.environment.records.is_empty() || !r.environment.watched.is_empty() {
        let _ = writeln!(
            s,
            "  {} watching     {}",
            // Not an integrity failure: a fact the reviewer weighs.
            if r.environment.not_watched.is_empty() {
                "·"
            } else {
                "!"
            },
            r.environment.line()
        );
    }
    review_lines(&mut s, r);
    if let Some(a) = &r.against {
        let _ = writeln!(
            s,
            "  {} compared    with {}: {} records, {}",
            mark(a.diverges_at.is_none()),
            a.dir.display(),
            thousands(a.records),
            match a.diverges_at {
                Some(at) => format!("a different history from record {}", thousands(at)),
                None if a.extra_records > 0 => format!(
                    "the same history; it holds {} records this copy does not",
                    thousands(a.extra_records)
                ),
                None => "the same history".to_owned(),
            }
        );
    }

    if !r.findings.is_empty() {
        let _ = writeln!(s, "\nFindings ({}):", r.findings.len());
        for f in r.findings.iter().take(MAX_LISTED) {
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(s, "  ✗ [{kind}] {}", f.message);
        }
        if r.findings.len() > MAX_LISTED {
            let _ = writeln!(
                s,
                "  … and {} more (use --json for all)",
                r.findings.len() - MAX_LISTED
            );
        }
    }
    let machine_attested = r
        .trust
        .parts
        .iter()
        .find(|p| p.vouched_by != VouchedBy::Witnessed);
    let verdict = match r.status {
        Status::Intact => match machine_attested {
            Some(p) => format!(
                "INTACT: nothing was altered, removed or added; from record {} on, parts are vouched for only by the candidate's machine (accepted with --accept-machine-attested).",
                thousands(p.from)
            ),
            None => "INTACT: nothing was altered, removed or added, and the backend witnessed every record.".to_owned(),
        },
        Status::NotWitnessed => "NOT WITNESSED: nothing shows an alteration, but part of the session is vouched for only by keys \
             that lived on the candidate's machine (or reached the backend only long after it was recorded), and its owner \
             could have written it. Pin the backend key (--backend-key), compare with the backend's copy (--against), \
             or accept it with --accept-machine-attested."
            .to_owned(),
        Status::Truncated => "TRUNCATED: intact as far as it goes, but the session never ended; \
             resume it on the machine that recorded it, or treat the end as missing."
            .to_owned(),
        Status::Invalid => format!(
            "INVALID: {} finding{}: the evidence was altered, damaged or is incomplete.",
            r.findings.len(),
            if r.findings.len() == 1 { "" } else { "s" }
        ),
    };
    let _ = writeln!(s, "\nResult: {verdict}");
    s
}
