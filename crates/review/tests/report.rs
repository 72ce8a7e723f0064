//! The report from whole sessions: a simulated one, one whose records were
//! written by someone who wants to take over the reviewer's page, and one
//! with a damaged blob.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_evidence::record::{Body, ClientInfo, Event, HexHash};
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::verify::Status;
use paraakh_evidence::{
    BlobMeta, ManualClock, SessionParams, SessionWriter, Severity, TenantSecretKey, Timestamp,
    VerifyOptions,
};
use paraakh_review::html::{PageOptions, render};
use paraakh_review::layer::Layer;

const START: i64 = 1_790_000_000_000_000_000;

fn tenant() -> TenantSecretKey {
    TenantSecretKey::from_bytes("tenant.example", [3; 32]).unwrap()
}

fn accepting() -> VerifyOptions {
    VerifyOptions {
        accept_machine_attested: true,
        ..VerifyOptions::default()
    }
}

#[test]
fn a_simulated_session_has_every_event_on_the_page_and_in_the_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let mut opts = SimulateOptions::new(tenant().public(), START);
    opts.events = 150;
    opts.blobs = 6;
    opts.blob_size = (100, 2000);
    opts.questions = 4;
    opts.receipt_lag = 0;
    simulate(&dir, &opts).unwrap();
    let review = paraakh_review::build(&dir, Some(tenant()), accepting()).unwrap();
    assert_eq!(review.verification.status, Status::Intact);
    assert_eq!(review.events.len(), 150);
    // Session time follows the boot clock: the simulated clock jump of an
    // hour back moves nothing, and the timeline is as long as the session.
    assert!(review.timeline.duration_s > 29.0 && review.timeline.duration_s < 40.0);
    assert!(review.timeline.marks.iter().any(|m| m.kind == "clock_jump"));
    assert!(review.events.windows(2).all(|w| w[0].at_s <= w[1].at_s));
    let counted: u64 = review.layers.iter().map(|l| l.total).sum();
    assert_eq!(counted, 150);
    assert!(review.layers.iter().any(|l| l.layer == Layer::Face));
    assert_eq!(review.time.questions.len(), 4);
    let page = render(&review, &PageOptions::default());
    for e in &review.events {
        assert!(page.contains(&format!("id=\"ev-{}\"", e.seq)));
    }
    assert!(page.contains("Pending review") || page.contains("Nothing to review"));
    let json = serde_json::to_value(&review).unwrap();
    assert_eq!(json["format"], "paraakh-review/1");
    assert!(json["events"][0]["record_hash"].as_str().unwrap().len() == 64);
    // The media are in the page, never in the JSON.
    assert!(!json.to_string().contains("base64"));
}

/// Whoever holds the device key writes the records: a candidate could put
/// markup in an event's text, its details, a blob's type, and a web page
/// in a blob. The page shows all of it as text and embeds nothing active.
fn writer(dir: &std::path::Path, session_id: &str) -> SessionWriter {
    let device = NoteSigner::generate("paraakh-device", SIG_TYPE_ED25519).unwrap();
    let clock = Arc::new(ManualClock::new(
        Timestamp {
            utc_ns: START,
            boot_ns: 1_000_000_000,
        },
        1_000_000_000,
    ));
    let params = SessionParams {
        session_id: session_id.into(),
        exam_id: "exam".into(),
        tenant_id: "acme".into(),
        policy_sha256: [1; 32],
        client: ClientInfo {
            version: "x".into(),
            build_sha256: HexHash([0; 32]),
        },
        tenant_key: tenant().public(),
        backend_key: None,
        statement: None,
    };
    SessionWriter::create(dir, params, &device, clock).unwrap()
}

fn event(kind: &str, detail: serde_json::Value) -> Body {
    Body::Event(Event {
        kind: kind.into(),
        message: None,
        detail: detail.as_object().unwrap().clone(),
    })
}

/// The reviewer sees how each answer was typed in a table of its own: the
/// last profile of each answer (each counts on from the one before) and
/// links to the records of typing no person types.
#[test]
fn each_answers_typing_has_its_row_with_links_to_its_unusual_typing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let mut w = writer(&dir, "s-typing");
    let profile = |q: &str, keys: u64, cps: f64| {
        event(
            "typing_profile",
            serde_json::json!({"question": q, "keys": keys, "typing_seconds": 10.0,
                "chars_per_second": cps, "bursts": 3, "fastest_burst_cps": cps * 1.5,
                "least_spread": 0.45, "inserted_chars": 0, "longest_insert": 0, "answer_seq": 2}),
        )
    };
    w.append(Severity::Info, profile("q1", 40, 4.2)).unwrap();
    let flagged = w
        .append(
            Severity::Info,
            event(
                "machine_typing",
                serde_json::json!({"question": "essay", "why": "too_fast", "chars_per_second": 200.0, "keys": 100}),
            ),
        )
        .unwrap();
    w.append(Severity::Info, profile("q1", 90, 4.8)).unwrap();
    w.finish("ended").unwrap();
    let review = paraakh_review::build(&dir, Some(tenant()), accepting()).unwrap();
    assert_eq!(review.typing.len(), 2, "{:#?}", review.typing);
    let q1 = &review.typing[0];
    assert_eq!(
        (q1.question.as_str(), q1.keys),
        ("q1", 90),
        "the last profile counts"
    );
    assert!(q1.unusual.is_empty());
    let essay = &review.typing[1];
    assert_eq!(essay.profile_seq, None, "flagged, never profiled");
    assert_eq!(essay.unusual, [flagged]);
    let page = render(&review, &PageOptions::default());
    assert!(page.contains("<caption>How each answer was typed</caption>"));
    assert!(
        page.contains("<tr><th scope=\"row\">q1</th><td>90</td><td>4.8</td>"),
        "{page}"
    );
    assert!(page.contains(&format!("<a href=\"#ev-{flagged}\">record {flagged}</a>")));
}

#[test]
fn records_written_to_take_over_the_page_are_shown_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let mut w = writer(&dir, "s-hostile");
    let script = "<script>alert('pwned')</script>";
    let mut detail = serde_json::Map::new();
    detail.insert(
        format!("k{script}"),
        format!("v{script}\"><img src=x onerror=alert(2)>").into(),
    );
    let seq = w
        .append(
            Severity::High,
            Body::Event(Event {
                kind: "no_face".into(),
                message: Some(format!("nobody {script}")),
                detail,
            }),
        )
        .unwrap();
    w.add_blob(
        Severity::Info,
        BlobMeta {
            media_type: "text/html\" onload=\"alert(3)".into(),
            purpose: "webcam_snapshot".into(),
            event_seq: Some(seq),
        },
        b"<html><script>alert(4)</script></html>",
    )
    .unwrap();
    w.finish("submitted").unwrap();
    let review = paraakh_review::build(&dir, Some(tenant()), accepting()).unwrap();
    let page = render(&review, &PageOptions::default());
    for active in [
        "<script>alert",
        "<img src=x",
        "\"><img",
        "onload=\"alert",
        "data:text/html",
    ] {
        assert!(!page.contains(active), "{active} is in the page");
    }
    assert!(page.contains("nobody &lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("it is not a JPEG or PNG picture or an Ogg sound; not shown"));
    // The page's own script is the only one.
    assert_eq!(page.matches("<script>").count(), 1);
}

#[test]
fn an_altered_blob_is_named_and_the_report_still_made() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let mut opts = SimulateOptions::new(tenant().public(), START);
    opts.events = 40;
    opts.blobs = 3;
    opts.blob_size = (100, 500);
    simulate(&dir, &opts).unwrap();
    let blobs: Vec<_> = std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut bytes = std::fs::read(&blobs[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&blobs[0], bytes).unwrap();
    let review = paraakh_review::build(&dir, Some(tenant()), accepting()).unwrap();
    assert_eq!(review.verification.status, Status::Invalid);
    let name = blobs[0].file_name().unwrap().to_str().unwrap().to_owned();
    let problems: Vec<_> = review
        .events
        .iter()
        .flat_map(|e| &e.evidence)
        .filter_map(|m| m.problem.clone())
        .collect();
    assert!(problems.iter().any(|p| p.contains(&name)), "{problems:?}");
    let page = render(&review, &PageOptions::default());
    assert!(page.contains("Altered or damaged"));
}

#[test]
fn a_directory_that_is_not_a_session_is_an_error_that_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let e = paraakh_review::build(tmp.path(), Some(tenant()), accepting()).unwrap_err();
    assert!(e.to_string().contains("holds no evidence session"), "{e}");
}
