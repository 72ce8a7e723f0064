//! The report as one self-contained HTML page: no network (its content
//! security policy allows nothing from outside), the evidence embedded as
//! `data:` URLs, every colour also said in words, every control reachable
//! by keyboard, landmarks and headings for screen readers, and a print
//! style that shows everything for a PDF.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paraakh_evidence::Severity;
use paraakh_evidence::review::Verdict;
use paraakh_evidence::verify::review::Outcome;
use paraakh_evidence::verify::{Status, VouchedBy};

use crate::model::{EventEntry, Media, SessionReview};

const STYLE: &str = include_str!("../assets/report.css");
const SCRIPT: &str = include_str!("../assets/report.js");

/// How the page records decisions.
#[derive(Debug, Clone, Default)]
pub enum DecisionMode {
    /// A file on the reviewer's disk: the page shows the `paraakh review
    /// decide` command that records the decision.
    #[default]
    Command,
    /// Served by the backend: the page posts decisions to this URL.
    Api {
        /// Where decisions go (`POST`, JSON).
        url: String,
    },
}

/// What the page needs besides the report.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// The session directory as the reviewer names it (for the commands shown).
    pub dir: String,
    /// How decisions are recorded.
    pub decisions: DecisionMode,
    /// The program's version, in the footer.
    pub generator: String,
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Seconds as `1 h 02 min 05 s`, `3 min 04 s` or `12.5 s`.
pub fn duration(s: f64) -> String {
    let s = if s.is_finite() { s.max(0.0) } else { 0.0 };
    if s < 60.0 {
        return format!("{s:.1} s");
    }
    let total = s.round() as u64;
    let (h, m, sec) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h} h {m:02} min {sec:02} s")
    } else {
        format!("{m} min {sec:02} s")
    }
}

/// Session time as `h:mm:ss`.
pub fn clock(s: f64) -> String {
    let total = if s.is_finite() {
        s.max(0.0).round() as u64
    } else {
        0
    };
    format!("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
}

/// A reviewer's words for the kinds the engine writes; others show as recorded.
fn kind_title(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "no_face" => "Nobody in front of the camera",
        "multiple_faces" => "More than one person in the camera picture",
        "camera_blocked" => "Camera covered, dark or frozen",
        "looking_away" => "Looking away",
        "speech" => "Speech",
        "prohibited_program" => "A prohibited program",
        "displays_changed" => "Displays changed",
        "focus_lost" => "The exam window lost the focus",
        "fullscreen_exit" => "Left fullscreen",
        "devtools_attempt" => "Developer tools asked for",
        "print_screen" => "Print Screen pressed",
        "blocked_shortcut" => "A blocked shortcut",
        "screen_sharing" => "The screen was being shared",
        "remote_session" => "A remote session",
        "environment" => "How the computer was set up",
        "monitoring_started" => "Monitoring started",
        "monitor_unavailable" => "A monitor did not watch",
        "guard_unavailable" => "A lockdown guard was not in force",
        "monitor_trouble" => "A monitor had trouble",
        "session_resumed" => "The session resumed after a stop",
        "statement_unavailable" => "The backend could not confirm this computer",
        "proctor_unlock" => "A proctor ended the exam",
        "auto_submitted" => "Submitted by the policy",
        _ => return None,
    })
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "Info",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Confirmed => "Confirmed",
        Verdict::Dismissed => "Dismissed",
        Verdict::SecondReview => "Needs a second review",
    }
}

fn vouched_label(v: VouchedBy) -> &'static str {
    match v {
        VouchedBy::Witnessed => "witnessed by the backend",
        VouchedBy::WitnessedLate => "witnessed by the backend, but late",
        VouchedBy::MachineAttested => "attested only by the candidate's machine",
        VouchedBy::Unsigned => "unsigned",
    }
}

fn pct(at: f64, total: f64) -> f64 {
    if total <= 0.0 {
        0.0
    } else {
        (at / total * 100.0).clamp(0.0, 100.0)
    }
}

/// Renders the whole page.
pub fn render(r: &SessionReview, o: &PageOptions) -> String {
    let mut h = String::with_capacity(64 << 10);
    let f = &r.facts;
    let title = format!("Review of session {} ({})", f.session_id, f.exam_id);
    let api = match &o.decisions {
        DecisionMode::Command => String::new(),
        DecisionMode::Api { url } => format!(" data-decisions-url=\"{}\"", esc(url)),
    };
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body data-session-dir=\"{}\" data-session-id=\"{}\"{api}>\n<a class=\"skip\" href=\"#events\">Skip to the events</a>\n<header>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&o.dir),
        esc(&f.session_id),
        esc(&title),
    );
    outcome(&mut h, r);
    h.push_str("</header>\n<main>\n");
    trust(&mut h, r);
    facts(&mut h, r);
    timeline(&mut h, r);
    events(&mut h, r, o);
    not_watched(&mut h, r);
    time(&mut h, r);
    typing(&mut h, r);
    layers(&mut h, r);
    let _ = write!(
        h,
        "</main>\n<footer><p>Made by {} from the session's evidence, verified before anything was shown. This page is self-contained: nothing is loaded from the network. The client records and classifies; a person decides.</p></footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        esc(&o.generator)
    );
    h
}

fn outcome(h: &mut String, r: &SessionReview) {
    let review = &r.verification.review;
    let (class, text) = match review.outcome {
        Outcome::PendingReview => (
            "pending",
            format!(
                "Pending review: {} high or critical event{} wait{} for a reviewer's decision.",
                review.pending.len(),
                if review.pending.len() == 1 { "" } else { "s" },
                if review.pending.len() == 1 { "s" } else { "" },
            ),
        ),
        Outcome::Reviewed => (
            "reviewed",
            "Reviewed: every high or critical event has a reviewer's decision.".to_owned(),
        ),
        Outcome::NothingToReview => (
            "nothing",
            "Nothing to review: no high or critical event was recorded.".to_owned(),
        ),
    };
    let _ = writeln!(
        h,
        "<p class=\"outcome outcome-{class}\" id=\"outcome\" role=\"status\"><strong>{}</strong> The software never fails a candidate: a reviewer decides.</p>",
        esc(&text)
    );
}

fn trust(h: &mut String, r: &SessionReview) {
    let v = &r.verification;
    let witnessed = v
        .trust
        .parts
        .iter()
        .all(|p| p.vouched_by == VouchedBy::Witnessed);
    let (class, text) = match v.status {
        Status::Intact if witnessed => (
            "ok",
            "Intact: nothing was altered, and the backend witnessed the evidence.",
        ),
        Status::Intact => (
            "warn",
            "Intact as far as the candidate's machine vouches for it: nothing shows it was altered, but the backend did not witness all of it (accepted for this report; see below).",
        ),
        Status::NotWitnessed => (
            "warn",
            "Not altered as far as can be checked, but parts are vouched for only by the candidate's machine (see below).",
        ),
        Status::Truncated => (
            "warn",
            "Incomplete: the session stopped without an end record; what there is was not altered.",
        ),
        Status::Invalid => (
            "bad",
            "Altered or damaged: the findings below say where. Treat the evidence with care.",
        ),
    };
    let _ = write!(
        h,
        "<section id=\"trust\" aria-labelledby=\"trust-h\">\n<h2 id=\"trust-h\">Can this evidence be trusted?</h2>\n<p class=\"verdict verdict-{class}\"><strong>{}</strong></p>\n<ul class=\"trust-parts\">\n",
        esc(text)
    );
    for p in &v.trust.parts {
        let _ = writeln!(
            h,
            "<li>Records {}–{}: <strong>{}</strong> ({}).</li>",
            p.from,
            p.to.saturating_sub(1),
            vouched_label(p.vouched_by),
            esc(&p.why)
        );
    }
    h.push_str("</ul>\n");
    if v.findings.is_empty() {
        h.push_str("<p>Verification found no problems.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<h3>Findings ({})</h3>\n<ul class=\"findings\">",
            v.findings.len()
        );
        for f in &v.findings {
            let at = f.seq.map(|s| format!(" (record {s})")).unwrap_or_default();
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|k| k.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(
                h,
                "<li><code>{}</code>{at}: {}</li>",
                esc(&kind),
                esc(&f.message)
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn facts(h: &mut String, r: &SessionReview) {
    let f = &r.facts;
    let policy = match &f.policy_name {
        Some(name) => format!(
            "{} (SHA-256 <code>{}</code>)",
            esc(name),
            esc(&f.policy_sha256)
        ),
        None => format!("SHA-256 <code>{}</code>", esc(&f.policy_sha256)),
    };
    let rows = [
        ("Session", esc(&f.session_id)),
        ("Exam", esc(&f.exam_id)),
        ("Tenant", esc(&f.tenant_id)),
        (
            "Candidate's computer (device key)",
            format!("<code>{}</code>", esc(&f.device_key_fingerprint)),
        ),
        ("Policy", policy),
        ("Started", esc(&f.started_utc)),
        ("Last record", esc(&f.last_record_utc)),
        ("Length", esc(&duration(f.duration_s))),
        (
            "Ended",
            esc(f
                .end_reason
                .as_deref()
                .unwrap_or("did not end (the client stopped)")),
        ),
        (
            "Client",
            format!(
                "{} (SHA-256 <code>{}</code>)",
                esc(&f.client_version),
                esc(&f.client_build_sha256)
            ),
        ),
    ];
    h.push_str("<section id=\"facts\" aria-labelledby=\"facts-h\">\n<h2 id=\"facts-h\">Session</h2>\n<dl class=\"facts\">\n");
    for (k, v) in rows {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{v}</dd>");
    }
    h.push_str("</dl>\n</section>\n");
}

fn timeline(h: &mut String, r: &SessionReview) {
    let t = &r.timeline;
    let total = t.duration_s;
    let _ = write!(
        h,
        "<section id=\"timeline\" aria-labelledby=\"timeline-h\">\n<h2 id=\"timeline-h\">Timeline</h2>\n<p>{} of session time. Each mark is an event; choose one to go to it. The list of events below holds the same, for screen readers and print.</p>\n<div class=\"track\">\n",
        esc(&duration(total))
    );
    for s in &t.spans {
        let _ = writeln!(
            h,
            "<div class=\"span span-{}\" style=\"left:{:.3}%;width:{:.3}%\" title=\"{}\" aria-hidden=\"true\"></div>",
            s.kind,
            pct(s.from_s, total),
            (pct(s.to_s, total) - pct(s.from_s, total)).max(0.2),
            esc(&format!(
                "{} ({}–{})",
                s.label,
                clock(s.from_s),
                clock(s.to_s)
            ))
        );
    }
    for m in &t.marks {
        let _ = writeln!(
            h,
            "<div class=\"mark mark-{}\" style=\"left:{:.3}%\" title=\"{}\" aria-hidden=\"true\"></div>",
            m.kind,
            pct(m.at_s, total),
            esc(&format!("{} at {}", m.label, clock(m.at_s)))
        );
    }
    for e in r.events.iter().filter(|e| e.severity > Severity::Info) {
        let _ = writeln!(
            h,
            "<a class=\"pin sev-{sev}\" href=\"#ev-{seq}\" style=\"left:{:.3}%\" data-layer=\"{}\" data-severity=\"{sev}\" aria-label=\"{} {} at {}\" title=\"{} {} at {}\"></a>",
            pct(e.at_s, total),
            e.layer.as_str(),
            severity_label(e.severity),
            esc(&e.kind),
            clock(e.at_s),
            severity_label(e.severity),
            esc(&e.kind),
            clock(e.at_s),
            sev = e.severity.as_str(),
            seq = e.seq,
        );
    }
    let _ = write!(
        h,
        "</div>\n<div class=\"axis\" aria-hidden=\"true\"><span>0:00:00</span><span>{}</span><span>{}</span></div>\n<ul class=\"legend\"><li><span class=\"key span-segment\"></span> recording</li><li><span class=\"key span-gap\"></span> the client was not running</li><li><span class=\"key span-break\"></span> allowed break</li><li><span class=\"key mark-resume\"></span> resumed</li><li><span class=\"key mark-clock_jump\"></span> clock changed</li><li><span class=\"key mark-submission\"></span> submitted</li></ul>\n",
        clock(total / 2.0),
        clock(total)
    );
    if !t.marks.is_empty() {
        h.push_str("<ul class=\"marks\">\n");
        for m in &t.marks {
            let _ = writeln!(h, "<li>{}: {}</li>", clock(m.at_s), esc(&m.label));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn filters(h: &mut String, r: &SessionReview) {
    h.push_str("<div class=\"filters\" role=\"group\" aria-label=\"Filters\">\n<fieldset><legend>Layers</legend>\n");
    for l in &r.layers {
        let _ = writeln!(
            h,
            "<label><input type=\"checkbox\" name=\"layer\" value=\"{}\" checked> {} ({})</label>",
            l.layer.as_str(),
            esc(l.layer.label()),
            l.total
        );
    }
    h.push_str("</fieldset>\n<fieldset><legend>Severity</legend>\n");
    for s in Severity::ALL {
        let n = r.events.iter().filter(|e| e.severity == s).count();
        if n > 0 {
            let _ = writeln!(
                h,
                "<label><input type=\"checkbox\" name=\"severity\" value=\"{}\"{}> {} ({n})</label>",
                s.as_str(),
                if s == Severity::Info { "" } else { " checked" },
                severity_label(s)
            );
        }
    }
    h.push_str("</fieldset>\n</div>\n");
}

fn events(h: &mut String, r: &SessionReview, o: &PageOptions) {
    h.push_str(
        "<section id=\"events\" aria-labelledby=\"events-h\">\n<h2 id=\"events-h\">Events</h2>\n",
    );
    filters(h, r);
    let _ = writeln!(
        h,
        "<p id=\"shown\" aria-live=\"polite\">{} events in all.</p>\n<ol class=\"events\">",
        r.events.len()
    );
    for e in &r.events {
        event(h, e);
    }
    h.push_str("</ol>\n");
    decision_form(h, o);
    h.push_str("</section>\n");
}

/// An info event: one line (the JSON report has all of it). Sessions hold
/// thousands; a card each would make the page too large to open.
fn info_event(h: &mut String, e: &EventEntry) {
    let _ = writeln!(
        h,
        "<li id=\"ev-{seq}\" class=\"event sev-info compact\" data-layer=\"{}\" data-severity=\"info\"><span class=\"badge\">Info</span> {} <code>{}</code> <span class=\"when\">at {} · record {seq}</span> {}</li>",
        e.layer.as_str(),
        esc(kind_title(&e.kind).unwrap_or("")),
        esc(&e.kind),
        clock(e.at_s),
        esc(e.message.as_deref().unwrap_or("")),
        seq = e.seq,
    );
}

fn event(h: &mut String, e: &EventEntry) {
    if e.severity == Severity::Info && e.evidence.is_empty() && e.decisions.is_empty() {
        return info_event(h, e);
    }
    let sev = e.severity.as_str();
    let state = match (e.verdict, e.pending) {
        (Some(v), _) => format!(" — {}", verdict_label(v)),
        (None, true) => " — waiting for a decision".to_owned(),
        (None, false) => String::new(),
    };
    let _ = write!(
        h,
        "<li id=\"ev-{seq}\" class=\"event sev-{sev}\" data-layer=\"{layer}\" data-severity=\"{sev}\" data-seq=\"{seq}\">\n<article aria-labelledby=\"ev-{seq}-h\">\n<h3 id=\"ev-{seq}-h\"><span class=\"badge sev-{sev}\">{label}</span> {title} <code>{kind}</code> <span class=\"when\">at {at}</span><span class=\"state\">{state}</span></h3>\n",
        seq = e.seq,
        layer = e.layer.as_str(),
        label = severity_label(e.severity),
        title = esc(kind_title(&e.kind).unwrap_or("")),
        kind = esc(&e.kind),
        at = clock(e.at_s),
        state = esc(&state),
    );
    if let Some(m) = &e.message {
        let _ = writeln!(h, "<p>{}</p>", esc(m));
    }
    let _ = write!(
        h,
        "<details><summary>Record {} details</summary>\n<dl class=\"detail\"><dt>Recorded at</dt><dd>{} (the computer's clock)</dd><dt>Layer</dt><dd>{}</dd><dt>Vouched for</dt><dd>{}</dd><dt>Record hash</dt><dd><code>{}</code></dd>",
        e.seq,
        esc(&e.utc),
        esc(e.layer.label()),
        vouched_label(e.vouched_by),
        e.record_hash
    );
    for (k, v) in &e.detail {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&text));
    }
    h.push_str("</dl></details>\n");
    if !e.evidence.is_empty() {
        h.push_str("<div class=\"evidence\">\n");
        for m in &e.evidence {
            media(h, e, m);
        }
        h.push_str("</div>\n");
    }
    if !e.decisions.is_empty() {
        h.push_str("<ul class=\"decisions\" aria-label=\"Decisions\">\n");
        for d in &e.decisions {
            let _ = writeln!(
                h,
                "<li class=\"{}\"><strong>{}</strong> by {} (key <code>{}</code>{}) at {}{}{}</li>",
                if d.superseded_by.is_some() || !d.counted {
                    "superseded"
                } else {
                    "current"
                },
                verdict_label(d.verdict),
                esc(&d.reviewer),
                esc(&d.reviewer_key_fingerprint),
                if d.reviewer_pinned { ", trusted" } else { "" },
                esc(&d.time_utc),
                if d.note.is_empty() {
                    String::new()
                } else {
                    format!(": “{}”", esc(&d.note))
                },
                if !d.counted {
                    " (not counted: its key is neither trusted nor cosigned by the backend)"
                } else if d.superseded_by.is_some() {
                    " (superseded)"
                } else {
                    ""
                },
            );
        }
        h.push_str("</ul>\n");
    }
    if e.severity > Severity::Info {
        let _ = writeln!(
            h,
            "<button type=\"button\" class=\"decide-open\" data-seq=\"{}\" data-hash=\"{}\" aria-expanded=\"false\">Decide…</button>",
            e.seq, e.record_hash
        );
    }
    h.push_str("</article>\n</li>\n");
}

fn media(h: &mut String, e: &EventEntry, m: &Media) {
    let what = match m.purpose.as_str() {
        "webcam_snapshot" => "Webcam picture",
        "screen_capture" => "Screen capture",
        "speech_clip" => "Sound clip",
        other => other,
    };
    let caption = format!("{what}, {} KB, record {}", m.size.div_ceil(1024), m.seq);
    let Some(bytes) = &m.bytes else {
        let _ = writeln!(
            h,
            "<p class=\"missing\">{}: {}</p>",
            esc(&caption),
            esc(m.problem.as_deref().unwrap_or("not available"))
        );
        return;
    };
    // The type comes from the content, never from the record: whoever holds
    // the device key writes the records, and the page must not become theirs.
    let Some(kind) = sniff(bytes) else {
        let _ = writeln!(
            h,
            "<p class=\"missing\">{}: recorded as {}, but it is not a JPEG or PNG picture or an Ogg sound; not shown (open it with paraakh verify --tenant-key)</p>",
            esc(&caption),
            esc(&m.media_type)
        );
        return;
    };
    let data = format!("data:{kind};base64,{}", B64.encode(bytes));
    let alt = esc(&format!("{what} for {} at {}", e.kind, clock(e.at_s)));
    if kind.starts_with("image/") {
        let _ = writeln!(
            h,
            "<figure><button type=\"button\" class=\"zoom\" aria-pressed=\"false\" title=\"Full size\"><img class=\"thumb\" loading=\"lazy\" decoding=\"async\" src=\"{data}\" alt=\"{alt}\"></button><figcaption>{}</figcaption></figure>",
            esc(&caption),
        );
    } else {
        let _ = writeln!(
            h,
            "<figure><audio controls preload=\"metadata\" src=\"{data}\" aria-label=\"{alt}\"></audio><figcaption>{}</figcaption></figure>",
            esc(&caption),
        );
    }
}

/// The media type of evidence by its first bytes: JPEG, PNG or Ogg.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"OggS") {
        Some("audio/ogg")
    } else {
        None
    }
}

/// The one decision form, moved under the event a reviewer chooses.
fn decision_form(h: &mut String, o: &PageOptions) {
    h.push_str(
        "<form id=\"decide\" class=\"decide\" hidden>\n<fieldset><legend>Your decision</legend>\n",
    );
    for v in Verdict::ALL {
        let _ = writeln!(
            h,
            "<label><input type=\"radio\" name=\"verdict\" value=\"{}\" required> {}</label>",
            v.as_str(),
            verdict_label(v)
        );
    }
    let _ = write!(
        h,
        "</fieldset>\n<label class=\"note\">Note (why)<textarea name=\"note\" rows=\"2\" maxlength=\"4000\"></textarea></label>\n<button type=\"submit\">{}</button>\n<output class=\"result\" aria-live=\"polite\"></output>\n</form>\n",
        match o.decisions {
            DecisionMode::Command => "Show the command that records it",
            DecisionMode::Api { .. } => "Record the decision",
        }
    );
}

fn not_watched(h: &mut String, r: &SessionReview) {
    let env = &r.verification.environment;
    let _ = write!(
        h,
        "<section id=\"not-watched\" aria-labelledby=\"nw-h\">\n<h2 id=\"nw-h\">What was watched, and what was not</h2>\n<p>{}</p>\n",
        esc(&env.line())
    );
    if env.not_watched.is_empty() {
        h.push_str(
            "<p>Every monitor and guard the policy asks for ran for the whole session.</p>\n",
        );
    } else {
        h.push_str("<ul>\n");
        for n in &env.not_watched {
            if n.kind == "gap" {
                let _ = writeln!(
                    h,
                    "<li><strong>Nothing</strong> was watched before record {}: {}.</li>",
                    n.seq,
                    esc(&n.reason)
                );
                continue;
            }
            let again = n
                .watched_again_from
                .map(|s| format!(" Watched again from record {s}."))
                .unwrap_or_default();
            let _ = writeln!(
                h,
                "<li><strong>{}</strong> ({}) was not watched from record {}: {}.{}</li>",
                esc(&n.what),
                n.kind,
                n.seq,
                esc(&n.reason),
                esc(&again)
            );
        }
        h.push_str("</ul>\n");
    }
    for e in &env.records {
        let _ = writeln!(
            h,
            "<p class=\"env\">Record {}: {}</p>",
            e.seq,
            esc(&e.summary)
        );
    }
    h.push_str("</section>\n");
}

fn time(h: &mut String, r: &SessionReview) {
    let t = &r.time;
    h.push_str("<section id=\"time\" aria-labelledby=\"time-h\">\n<h2 id=\"time-h\">Time</h2>\n<p>From the autosaves: the time before each save counts for its question. The report never shows the answers themselves.</p>\n");
    if t.questions.is_empty() {
        h.push_str("<p>No answer was saved.</p>\n</section>\n");
        return;
    }
    h.push_str("<table>\n<caption>Time per question</caption>\n<thead><tr><th scope=\"col\">Question</th><th scope=\"col\">Time</th><th scope=\"col\">Saves</th><th scope=\"col\">Answer changed</th><th scope=\"col\">First save</th><th scope=\"col\">Last save</th></tr></thead>\n<tbody>\n");
    for q in &t.questions {
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&q.question),
            duration(q.seconds),
            q.saves,
            q.changes,
            clock(q.first_s),
            clock(q.last_s)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    if let Some(after) = t.after_last_answer_s {
        let _ = writeln!(
            h,
            "<p>From the last save to the submission: {}.{}</p>",
            duration(after),
            t.submitted
                .map(|n| format!(" The submission names {n} answers."))
                .unwrap_or_default()
        );
    }
    if t.idle.is_empty() {
        let _ = writeln!(
            h,
            "<p>No stretch of {} or more without a save.</p>",
            duration(t.idle_threshold_s)
        );
    } else {
        let _ = writeln!(
            h,
            "<p>Stretches of {} or more without a save:</p>\n<ul>",
            duration(t.idle_threshold_s)
        );
        for i in &t.idle {
            let _ = writeln!(
                h,
                "<li>{}–{} ({})</li>",
                clock(i.from_s),
                clock(i.to_s),
                duration(i.to_s - i.from_s)
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn typing(h: &mut String, r: &SessionReview) {
    h.push_str("<section id=\"typing\" aria-labelledby=\"typing-h\">\n<h2 id=\"typing-h\">Typing</h2>\n<p>From the key timings the exam page sent with its autosaves (never the keys themselves). People type about 4 characters a second on average and rarely above 10; the gaps between their keys vary by about half their length. Information for the reviewer, never a verdict by itself.</p>\n");
    if r.typing.is_empty() {
        h.push_str("<p>No typing was profiled.</p>\n</section>\n");
        return;
    }
    h.push_str("<table>\n<caption>How each answer was typed</caption>\n<thead><tr><th scope=\"col\">Question</th><th scope=\"col\">Keys typed</th><th scope=\"col\">Characters a second</th><th scope=\"col\">Bursts</th><th scope=\"col\">Fastest burst</th><th scope=\"col\">Least varied gaps</th><th scope=\"col\">Arrived at once</th><th scope=\"col\">Unusual</th></tr></thead>\n<tbody>\n");
    for q in &r.typing {
        let unusual = if q.unusual.is_empty() {
            "none".to_owned()
        } else {
            q.unusual
                .iter()
                .map(|seq| format!("<a href=\"#ev-{seq}\">record {seq}</a>"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (keys, cps, bursts, fastest) = match q.profile_seq {
            Some(_) => (
                q.keys.to_string(),
                format!("{:.1}", q.chars_per_second),
                q.bursts.to_string(),
                if q.fastest_burst_cps > 0.0 {
                    format!("{:.1} a second", q.fastest_burst_cps)
                } else {
                    "—".to_owned()
                },
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into()),
        };
        let spread = q
            .least_spread
            .map_or("—".to_owned(), |s| format!("{:.0} %", s * 100.0));
        let at_once = if q.inserted_chars > 0 {
            format!(
                "{} characters (longest {})",
                q.inserted_chars, q.longest_insert
            )
        } else {
            "none".to_owned()
        };
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{keys}</td><td>{cps}</td><td>{bursts}</td><td>{fastest}</td><td>{spread}</td><td>{at_once}</td><td>{unusual}</td></tr>",
            esc(&q.question),
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn layers(h: &mut String, r: &SessionReview) {
    h.push_str("<section id=\"layers\" aria-labelledby=\"layers-h\">\n<h2 id=\"layers-h\">Events by layer</h2>\n<table>\n<caption>Events per layer and severity</caption>\n<thead><tr><th scope=\"col\">Layer</th>");
    for s in Severity::ALL {
        let _ = write!(h, "<th scope=\"col\">{}</th>", severity_label(s));
    }
    h.push_str("<th scope=\"col\">All</th></tr></thead>\n<tbody>\n");
    for l in &r.layers {
        let _ = write!(h, "<tr><th scope=\"row\">{}</th>", esc(l.layer.label()));
        for s in Severity::ALL {
            let _ = write!(
                h,
                "<td>{}</td>",
                l.by_severity.get(&s).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(h, "<td>{}</td></tr>", l.total);
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}
