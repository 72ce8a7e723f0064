//! Builds the report from a session directory: verification first, then
//! the log read once for the events, their evidence, the timeline and the
//! autosaves.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use paraakh_evidence::frame::{FileKind, parse_all};
use paraakh_evidence::layout;
use paraakh_evidence::merkle::leaf_hash;
use paraakh_evidence::record::{Body, Record, to_hex};
use paraakh_evidence::verify::{Report, VouchedBy};
use paraakh_evidence::{TenantSecretKey, VerifyOptions, blob, verify};

use crate::ReviewBuildError;
use crate::layer::{self, Layer};
use crate::model::{
    EventEntry, FORMAT_V1, Facts, LayerCount, Mark, Media, SessionReview, Span, Timeline,
};
use crate::time::{self, Save};
use crate::typing;

/// Blob purposes that are evidence for an event (the periodic screen
/// recording is not shown per event).
fn shown(purpose: &str) -> bool {
    purpose != "screen_recording"
}

/// Most evidence bytes embedded in one report; beyond it media are listed
/// but not embedded (the page says so), so a report always opens.
pub const MAX_EMBEDDED_BYTES: u64 = 512 << 20;

/// Builds the report for the session in `dir`. The tenant key decrypts
/// the evidence (`opts.tenant_key` is set from it); without it the report
/// lists the evidence and says it cannot be shown.
pub fn build(
    dir: &Path,
    tenant_key: Option<TenantSecretKey>,
    mut opts: VerifyOptions,
) -> Result<SessionReview, ReviewBuildError> {
    if let Some(key) = &tenant_key {
        let reopened = TenantSecretKey::parse(&key.encode())
            .map_err(|e| ReviewBuildError::Key(e.to_string()))?;
        opts.tenant_key = Some(reopened);
    }
    let report = verify(dir, &opts)?;
    let log = std::fs::read(dir.join(layout::LOG)).map_err(|source| ReviewBuildError::Io {
        what: "cannot read the evidence log",
        path: dir.join(layout::LOG),
        source,
    })?;
    let (frames, _) = parse_all(&log, FileKind::Log);
    let records: Vec<(Record, [u8; 32])> = frames
        .iter()
        .filter_map(|f| Some((Record::parse(&f.payload).ok()?, leaf_hash(&f.payload))))
        .collect();
    let clock = SessionClock::new(&records, &report);
    let timeline = timeline(&records, &report, &clock);

    let mut evidence: HashMap<u64, Vec<Media>> = HashMap::new();
    let mut embedded = 0u64;
    let mut saves = Vec::new();
    for (r, _) in &records {
        match &r.body {
            Body::Blob(b) if shown(&b.purpose) => {
                let Some(event) = b.event_seq else { continue };
                let mut media = Media {
                    seq: r.seq,
                    media_type: b.media_type.clone(),
                    purpose: b.purpose.clone(),
                    size: b.plaintext_size,
                    plaintext_sha256: b.plaintext_sha256.to_hex(),
                    problem: None,
                    bytes: None,
                };
                if embedded + b.plaintext_size > MAX_EMBEDDED_BYTES {
                    media.problem = Some(format!(
                        "not embedded: the report already holds {} MiB of evidence; open it with `paraakh verify --tenant-key` and the blob {}",
                        embedded >> 20,
                        b.sha256.to_hex()
                    ));
                } else if let Some(key) = &tenant_key {
                    match open_blob(dir, &b.sha256.to_hex(), key, &b.plaintext_sha256.0) {
                        Ok(bytes) => {
                            embedded += bytes.len() as u64;
                            media.bytes = Some(bytes);
                        }
                        Err(why) => media.problem = Some(why),
                    }
                } else {
                    media.problem = Some(
                        "not shown: the tenant's evidence key was not given to this report".into(),
                    );
                }
                evidence.entry(event).or_default().push(media);
            }
            Body::Answer(a) => saves.push(Save {
                question: a.question.clone(),
                at_s: clock.at(r.seq),
                content: a.plaintext_sha256.0,
            }),
            _ => {}
        }
    }

    let decisions = &report.review.decisions;
    let signed_to = report.checkpoints.signed_size;
    let mut events = Vec::new();
    for (r, leaf) in &records {
        let Body::Event(e) = &r.body else { continue };
        let monitor = e.detail.get("monitor").and_then(|m| m.as_str());
        let mine: Vec<_> = decisions
            .iter()
            .filter(|d| d.event_seq == r.seq)
            .cloned()
            .collect();
        let verdict = mine.iter().rev().find(|d| d.counted).map(|d| d.verdict);
        events.push(EventEntry {
            seq: r.seq,
            record_hash: to_hex(leaf),
            utc: r.time.utc_rfc3339(),
            at_s: clock.at(r.seq),
            severity: r.severity,
            kind: e.kind.clone(),
            layer: layer::of(&e.kind, monitor),
            message: e.message.clone(),
            detail: e.detail.clone(),
            vouched_by: vouched_by(&report, r.seq, signed_to),
            evidence: evidence.remove(&r.seq).unwrap_or_default(),
            pending: report.review.pending.contains(&r.seq),
            decisions: mine,
            verdict,
        });
    }
    let layers = Layer::ALL
        .into_iter()
        .filter_map(|layer| {
            let mut by_severity = BTreeMap::new();
            for e in events.iter().filter(|e| e.layer == layer) {
                *by_severity.entry(e.severity).or_insert(0u64) += 1;
            }
            let total = by_severity.values().sum();
            (total > 0).then_some(LayerCount {
                layer,
                by_severity,
                total,
            })
        })
        .collect();
    let end_s = records
        .iter()
        .find(|(r, _)| matches!(r.body, Body::Submission(_)))
        .or_else(|| records.iter().find(|(r, _)| matches!(r.body, Body::End(_))))
        .map(|(r, _)| clock.at(r.seq));
    let time = time::analyse(&saves, end_s, report.answers.submitted);
    let typing = typing::per_answer(&events);
    let facts = facts(&report, &records, timeline.duration_s);
    Ok(SessionReview {
        format: FORMAT_V1,
        verification: report,
        facts,
        timeline,
        events,
        layers,
        time,
        typing,
    })
}

fn open_blob(
    dir: &Path,
    name: &str,
    key: &TenantSecretKey,
    plaintext_sha256: &[u8; 32],
) -> Result<Vec<u8>, String> {
    let sealed = std::fs::read(layout::blob_path(dir, name))
        .map_err(|e| format!("the blob {name} cannot be read: {e}"))?;
    let plain = blob::open_to_vec(key, &sealed)
        .map_err(|e| format!("the blob {name} cannot be opened with the tenant key: {e}"))?;
    if paraakh_evidence::merkle::sha256(&plain) != *plaintext_sha256 {
        return Err(format!(
            "the blob {name} does not hold what its record says (altered)"
        ));
    }
    Ok(plain.to_vec())
}

fn vouched_by(report: &Report, seq: u64, signed_to: u64) -> VouchedBy {
    report
        .trust
        .parts
        .iter()
        .find(|p| p.from <= seq && seq < p.to)
        .map(|p| p.vouched_by)
        .unwrap_or(if seq < signed_to {
            VouchedBy::MachineAttested
        } else {
            VouchedBy::Unsigned
        })
}

/// Session time of every record: the boot clock within a segment, the wall
/// clock's gap between segments (never negative).
struct SessionClock {
    at: Vec<f64>,
}

impl SessionClock {
    fn new(records: &[(Record, [u8; 32])], report: &Report) -> Self {
        let starts: Vec<u64> = report.segments.iter().map(|s| s.first_seq).collect();
        let mut at = Vec::with_capacity(records.len());
        let mut base = 0.0f64;
        let mut seg_boot = 0u64;
        let mut prev: Option<&Record> = None;
        for (r, _) in records {
            let new_segment = prev.is_none() || starts.contains(&r.seq);
            if new_segment {
                if let Some(p) = prev {
                    let last = at.last().copied().unwrap_or(0.0);
                    let gap = (r.time.utc_ns - p.time.utc_ns) as f64 / 1e9;
                    base = last + gap.max(0.0);
                }
                seg_boot = r.time.boot_ns;
            }
            let t = base + r.time.boot_ns.saturating_sub(seg_boot) as f64 / 1e9;
            // A record out of order (a finding already) stays where the last one was.
            at.push(t.max(at.last().copied().unwrap_or(0.0)));
            prev = Some(r);
        }
        Self { at }
    }

    fn at(&self, seq: u64) -> f64 {
        usize::try_from(seq)
            .ok()
            .and_then(|i| self.at.get(i))
            .or(self.at.last())
            .copied()
            .unwrap_or(0.0)
    }
}

fn timeline(records: &[(Record, [u8; 32])], report: &Report, clock: &SessionClock) -> Timeline {
    let duration_s = records.last().map(|(r, _)| clock.at(r.seq)).unwrap_or(0.0);
    let mut spans = Vec::new();
    let mut marks = Vec::new();
    let segments = &report.segments;
    for (i, s) in segments.iter().enumerate() {
        let from_s = clock.at(s.first_seq);
        let to_s = segments
            .get(i + 1)
            .map(|n| clock.at(n.first_seq.saturating_sub(1)))
            .unwrap_or(duration_s);
        if i > 0 {
            let before = clock.at(s.first_seq.saturating_sub(1));
            spans.push(Span {
                kind: "gap",
                from_s: before,
                to_s: from_s,
                label: format!(
                    "The client was not running for {} (stopped, then resumed in segment {})",
                    crate::html::duration(from_s - before),
                    s.segment
                ),
            });
            marks.push(Mark {
                kind: "resume",
                at_s: from_s,
                label: format!("Resumed in segment {} with a new session key", s.segment),
                seq: s.first_seq,
            });
        }
        spans.push(Span {
            kind: "segment",
            from_s,
            to_s,
            label: format!("Segment {}", s.segment),
        });
    }
    let mut break_start: Option<f64> = None;
    for (r, _) in records {
        match &r.body {
            Body::Event(e) if e.kind == "break_started" => break_start = Some(clock.at(r.seq)),
            Body::Event(e) if e.kind == "break_ended" => {
                if let Some(from_s) = break_start.take() {
                    spans.push(Span {
                        kind: "break",
                        from_s,
                        to_s: clock.at(r.seq),
                        label: "An allowed break".into(),
                    });
                }
            }
            Body::ClockJump(j) => marks.push(Mark {
                kind: "clock_jump",
                at_s: clock.at(r.seq),
                label: format!(
                    "The computer's clock was changed by {} (the timeline follows the steady clock)",
                    signed_duration(j.skew_ns as f64 / 1e9)
                ),
                seq: r.seq,
            }),
            Body::Submission(s) => marks.push(Mark {
                kind: "submission",
                at_s: clock.at(r.seq),
                label: format!("Submitted ({} answers)", s.answers.len()),
                seq: r.seq,
            }),
            Body::End(e) => marks.push(Mark {
                kind: "end",
                at_s: clock.at(r.seq),
                label: format!("Ended: {}", e.reason),
                seq: r.seq,
            }),
            _ => {}
        }
    }
    if let Some(from_s) = break_start {
        spans.push(Span {
            kind: "break",
            from_s,
            to_s: duration_s,
            label: "An allowed break that did not end".into(),
        });
    }
    Timeline {
        duration_s,
        spans,
        marks,
    }
}

fn signed_duration(s: f64) -> String {
    if s < 0.0 {
        format!("−{} (back)", crate::html::duration(-s))
    } else {
        format!("+{} (forward)", crate::html::duration(s))
    }
}

fn facts(report: &Report, records: &[(Record, [u8; 32])], duration_s: f64) -> Facts {
    let policy_name = records.iter().find_map(|(r, _)| match &r.body {
        Body::Event(e)
            if e.kind == "monitoring_started" && r.seq < report.checkpoints.signed_size =>
        {
            e.detail.get("policy")?.as_str().map(str::to_owned)
        }
        _ => None,
    });
    let s = report.session.clone().unwrap_or_default();
    Facts {
        session_id: s.session_id,
        exam_id: s.exam_id,
        tenant_id: s.tenant_id,
        policy_name,
        policy_sha256: s.policy_sha256,
        client_version: s.client_version,
        client_build_sha256: s.client_build_sha256,
        device_key_fingerprint: s.device_key_fingerprint,
        started_utc: s.started_utc,
        last_record_utc: s.last_record_utc,
        end_reason: report.ended.as_ref().map(|e| e.reason.clone()),
        duration_s,
    }
}
