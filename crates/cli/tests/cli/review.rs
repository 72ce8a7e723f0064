//! `paraakh review`: a recorded replay session (nobody at the desk, then
//! two people, talking, a focus loss) becomes the reviewer's page, opened
//! in a real browser (WebKit's MiniBrowser through WebKitWebDriver on
//! Xvfb, sound through a private PulseAudio server): every flagged moment
//! is on the timeline, its pictures decode, its sound clip plays, and a
//! decision made in the page is recorded, signed and verified.

use std::path::{Path, PathBuf};
use std::time::Duration;

use paraakh_test_rig::webdriver::Browser;
use paraakh_test_rig::{Audio, Display};

use super::session::{detection_data, events, keys, records};
use super::sync::{Backend, sync};
use super::{json, p, paraakh, repo_file, stderr};

const FLAGGED: [&str; 4] = ["no_face", "multiple_faces", "speech", "focus_lost"];

/// Camera frames: two people for 30 frames, then an empty desk for 120
/// (two alternating pictures each, so the feed is not frozen). The replay
/// runs at up to 5 frames a second, slower in a debug build.
fn camera_frames(data: &Path, dir: &Path) {
    let coffee = image::open(data.join("coffee.png")).unwrap().to_rgb8();
    let desk = image::imageops::resize(&coffee, 640, 480, image::imageops::FilterType::Triangle);
    let astronaut = image::open(data.join("astronaut.png")).unwrap().to_rgb8();
    let cameraman = image::open(data.join("camera.png")).unwrap().to_rgb8();
    let mut group = desk.clone();
    let left = image::imageops::crop_imm(&astronaut, 120, 20, 220, 240).to_image();
    let right = image::imageops::crop_imm(&cameraman, 130, 50, 180, 200).to_image();
    image::imageops::overlay(&mut group, &left, 60, 140);
    image::imageops::overlay(&mut group, &right, 380, 160);
    let mut moved = group.clone();
    image::imageops::overlay(&mut moved, &left, 64, 142);
    std::fs::create_dir(dir).unwrap();
    let pictures = [
        (dir.join("desk-a.png"), desk.clone()),
        (
            dir.join("desk-b.png"),
            image::imageops::flip_horizontal(&desk),
        ),
        (dir.join("group-a.png"), group),
        (dir.join("group-b.png"), moved),
    ];
    for (path, img) in &pictures {
        img.save(path).unwrap();
    }
    let frames = std::iter::repeat_n([2, 3], 15)
        .flatten()
        .chain(std::iter::repeat_n([0, 1], 60).flatten());
    for (i, which) in frames.enumerate() {
        std::fs::hard_link(&pictures[which].0, dir.join(format!("{i:04}.png"))).unwrap();
    }
    for (path, _) in &pictures {
        std::fs::remove_file(path).unwrap();
    }
}

/// Records the session; returns its directory and the tenant keys.
fn record(t: &Path, data: &Path) -> (PathBuf, PathBuf) {
    let keys = keys(t);
    let cam = t.join("camera");
    camera_frames(data, &cam);
    let screens = t.join("screens");
    std::fs::create_dir(&screens).unwrap();
    image::open(data.join("coffee.png"))
        .unwrap()
        .save(screens.join("1.png"))
        .unwrap();
    let (speech, padded) = (t.join("speech.wav"), t.join("padded.wav"));
    let ok = std::process::Command::new("espeak-ng")
        .args([
            "-w",
            p(&speech),
            "Can you read me the answer to question two? I think it is the mitochondria.",
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    let ok = std::process::Command::new("sox")
        .args([p(&speech), p(&padded), "pad", "2", "30"])
        .status()
        .unwrap();
    assert!(ok.success());
    let commands = t.join("commands.jsonl");
    std::fs::write(
        &commands,
        concat!(
            r#"{"save_answer":{"question":"q1","answer":"B"}}"#,
            "\n",
            r#"{"sleep":3}"#,
            "\n",
            r#"{"report":"focus_lost"}"#,
            "\n",
            r#"{"save_answer":{"question":"q2","answer":"The mitochondria."}}"#,
            "\n",
            r#"{"sleep":12}"#,
            "\n",
            r#"{"save_answer":{"question":"q1","answer":"C"}}"#,
            "\n",
            r#"{"sleep":30}"#,
            "\n",
            r#"{"submit":true}"#,
            "\n",
        ),
    )
    .unwrap();
    let dir = t.join("session");
    let out = paraakh(&[
        "session",
        "run",
        "--preset",
        "standard",
        "--out",
        p(&dir),
        "--tenant-key",
        p(&keys.join("encryption.pub")),
        "--tenant",
        "acme",
        "--exam",
        "biology",
        "--session-id",
        "s-review",
        "--camera",
        p(&cam),
        "--microphone",
        p(&padded),
        "--screen",
        p(&screens),
        "--consent",
        "--commands",
        p(&commands),
        "--device-key",
        p(&t.join("device.key")),
        "--models",
        p(&repo_file("models")),
        "--no-lockdown",
        "--checkpoint-every",
        "5",
        "--duration",
        "60s",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    (dir, keys)
}

#[test]
fn a_reviewer_sees_each_flagged_moment_with_its_evidence_and_signs_a_decision_in_the_page() {
    let Some(data) = detection_data() else {
        return;
    };
    if !paraakh_test_rig::require(
        "the review page in a browser",
        &["espeak-ng", "sox", "Xvfb", "WebKitWebDriver", "pulseaudio"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, keys) = record(t, Path::new(&data));
    let recs = records(&dir);
    let flagged: Vec<(String, u64)> = FLAGGED
        .iter()
        .map(|kind| {
            let found = events(&recs, kind);
            assert!(
                !found.is_empty(),
                "no {kind} event recorded: {:#?}",
                recs.iter()
                    .filter(|r| r["body"]["type"] == "event")
                    .map(|r| (
                        r["seq"].clone(),
                        r["time"]["boot_ns"].as_u64().unwrap() / 100_000_000,
                        r["body"]["kind"].clone(),
                        r["body"]["detail"]["faces"].clone()
                    ))
                    .collect::<Vec<_>>()
            );
            (kind.to_string(), found[0]["seq"].as_u64().unwrap())
        })
        .collect();

    // The report, as JSON and as the page.
    let page = t.join("report.html");
    let tenant_key = keys.join("encryption.key");
    let out = paraakh(&[
        "review",
        p(&dir),
        "--tenant-key",
        p(&tenant_key),
        "--accept-machine-attested",
        "--out",
        p(&page),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["format"], "paraakh-review/1");
    assert_eq!(report["verification"]["status"], "intact");
    assert_eq!(
        report["verification"]["review"]["outcome"],
        "pending_review"
    );
    assert_eq!(report["facts"]["policy_name"], "Standard proctored exam");
    let entry = |seq: u64| {
        report["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["seq"] == seq)
            .unwrap()
            .clone()
    };
    let purposes = |seq: u64| -> Vec<String> {
        entry(seq)["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["purpose"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(purposes(flagged[0].1).contains(&"webcam_snapshot".to_owned()));
    assert!(purposes(flagged[1].1).contains(&"webcam_snapshot".to_owned()));
    assert!(purposes(flagged[2].1).contains(&"speech_clip".to_owned()));
    assert!(purposes(flagged[3].1).contains(&"screen_capture".to_owned()));
    assert_eq!(entry(flagged[0].1)["layer"], "face");
    assert_eq!(entry(flagged[2].1)["layer"], "voice");
    // Time from the autosaves: q1 saved twice with a change.
    let q1 = &report["time"]["questions"][0];
    assert_eq!(
        (
            q1["question"].as_str(),
            q1["saves"].as_u64(),
            q1["changes"].as_u64()
        ),
        (Some("q1"), Some(2), Some(1))
    );
    // No network anywhere in the page.
    let html = std::fs::read_to_string(&page).unwrap();
    for outside in ["http://", "https://", "//cdn", "src=\"/"] {
        assert!(!html.contains(outside), "the page refers to {outside}");
    }

    // The page in a real browser.
    let display = Display::xvfb(1280, 1024).unwrap();
    let audio = Audio::start().unwrap();
    let mut cmd = audio.command("WebKitWebDriver");
    cmd.env("DISPLAY", display.name());
    let browser = Browser::start(cmd).unwrap();
    let driver = browser.session();
    driver.open(&format!("file://{}", p(&page)));
    driver.wait_for("#timeline .pin", Duration::from_secs(30));
    if let Ok(shots) = std::env::var("PARAAKH_REVIEW_SCREENSHOTS") {
        driver.screenshot(&Path::new(&shots).join("15-review-report.png"));
        driver.execute("document.getElementById('timeline').scrollIntoView(); return true;");
        driver.screenshot(&Path::new(&shots).join("16-review-timeline.png"));
        let picture = format!(
            "const i = document.querySelector('#ev-{} img'); i.scrollIntoView(); return i.complete && i.naturalWidth > 0;",
            flagged[1].1
        );
        driver.wait_until("the picture shows", Duration::from_secs(20), |d| {
            d.execute(&picture).as_bool().unwrap_or(false)
        });
        driver.screenshot(&Path::new(&shots).join("17-review-event.png"));
    }

    for (kind, seq) in &flagged {
        // On the timeline (a link to it) and in the list, shown by the default filters.
        assert!(
            driver.shown(&format!("a.pin[href='#ev-{seq}']")),
            "{kind} is not on the timeline"
        );
        assert!(driver.shown(&format!("#ev-{seq}")), "{kind} is not listed");
        let heading = driver.text(&driver.find(&format!("#ev-{seq} h3")).unwrap());
        assert!(heading.contains(kind.as_str()), "{heading}");
    }
    // Every picture decodes when scrolled to, as a reviewer would (they
    // load lazily).
    let images =
        driver.execute("return Array.from(document.querySelectorAll('.event img')).length");
    assert!(images.as_u64().unwrap() >= 3, "{images}");
    let count = images.as_u64().unwrap();
    for i in 0..count {
        let state = format!(
            "const i = document.querySelectorAll('.event img')[{i}]; i.scrollIntoView();
             return [i.closest('.event').id, i.complete && i.naturalWidth > 0];"
        );
        driver.wait_until(
            &format!("picture {i} decodes"),
            Duration::from_secs(20),
            |d| d.execute(&state)[1].as_bool().unwrap_or(false),
        );
    }
    // The sound clip has a length and plays.
    let clip = format!("#ev-{} audio", flagged[2].1);
    // A click on its play button, as a reviewer plays it (the browser
    // lets no page play sound by itself).
    let width = driver
        .execute(&format!(
            "const a = document.querySelector({clip:?}); a.scrollIntoView(); return a.getBoundingClientRect().width;"
        ))
        .as_f64()
        .unwrap();
    let player = driver.find(&clip).unwrap();
    driver.click_at(&player, -(width / 2.0) as i64 + 16, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let state = driver.execute(&format!(
            "const a = document.querySelector({clip:?});
             return [a.duration, a.currentTime, a.readyState, a.networkState, a.error && a.error.code, a.error && a.error.message, a.paused];"
        ));
        if state[0].as_f64().unwrap_or(0.0) > 0.0 && state[1].as_f64().unwrap_or(0.0) > 0.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the clip does not play: {state}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let duration = driver
        .execute(&format!("return document.querySelector({clip:?}).duration"))
        .as_f64()
        .unwrap();
    assert!(duration > 1.0, "clip of {duration} s");
    // Filtering by layer hides the face events and keeps the others.
    driver.click_on("input[name=layer][value=face]");
    assert!(!driver.shown(&format!("#ev-{}", flagged[0].1)));
    assert!(driver.shown(&format!("#ev-{}", flagged[2].1)));
    driver.click_on("input[name=layer][value=face]");
    // A decision made in the page: the speech was the candidate reading the
    // question aloud. The page gives the command that signs it.
    let speech = flagged[2].1;
    driver.click_on(&format!("#ev-{speech} button.decide-open"));
    driver.click_on(&format!("#ev-{speech} input[value=dismissed]"));
    let note = driver.find(&format!("#ev-{speech} textarea")).unwrap();
    driver.type_into(
        &note,
        "Reading the question aloud; allowed by the exam's rules.",
    );
    driver.click_on(&format!("#ev-{speech} button[type=submit]"));
    let command = driver.text(&driver.find(&format!("#ev-{speech} output")).unwrap());
    driver.quit();
    let line = command
        .lines()
        .find(|l| l.starts_with("paraakh review decide "))
        .unwrap_or_else(|| panic!("no command in {command:?}"));
    assert!(
        line.contains(&format!("--event {speech} --verdict dismissed")),
        "{line}"
    );
    let reviewer = t.join("alice.key");
    let out = paraakh(&[
        "review",
        "key",
        "--name",
        "alice@acme.example",
        "--out",
        p(&reviewer),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let run = line
        .replace("paraakh ", &format!("{} ", super::BIN))
        .replace("YOUR-REVIEWER.key", p(&reviewer));
    let out = std::process::Command::new("sh")
        .args(["-c", &run])
        .output()
        .unwrap();
    assert!(out.status.success(), "{run}: {}", stderr(&out));

    // Stored, signed, verified, and shown with who decided.
    let public = PathBuf::from(format!("{}.pub", p(&reviewer)));
    let out = paraakh(&[
        "verify",
        p(&dir),
        "--tenant-key",
        p(&tenant_key),
        "--accept-machine-attested",
        "--reviewer-key",
        p(&public),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verified = json(&out);
    let decision = &verified["review"]["decisions"][0];
    assert_eq!(decision["event_seq"], speech);
    assert_eq!(decision["verdict"], "dismissed");
    assert_eq!(decision["reviewer"], "alice@acme.example");
    assert_eq!(decision["reviewer_pinned"], true);
    assert_eq!(
        decision["note"],
        "Reading the question aloud; allowed by the exam's rules."
    );
    // Speech is medium: the high events (no face, two people) still wait.
    assert_eq!(verified["review"]["outcome"], "pending_review");
    let out = paraakh(&[
        "review",
        p(&dir),
        "--tenant-key",
        p(&tenant_key),
        "--accept-machine-attested",
        "--out",
        p(&page),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<strong>Dismissed</strong> by alice@acme.example"),
        "the page does not show the decision"
    );

    // The same session on the tenant's backend, reviewed in the page it
    // serves to a signed-in reviewer: the decision goes to the API.
    let data = t.join("backend");
    let backend = Backend::start_with(&data, &["--tenant-key", p(&tenant_key)]);
    let url = backend.url();
    let tokens = t.join("upload-token.json");
    let out = paraakh(&[
        "ingest",
        "token",
        "--data",
        p(&data),
        "--tenant",
        "acme",
        "--session-id",
        "s-review",
        "--exam",
        "biology",
        "--out",
        p(&tokens),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sync(&dir, &url, &tokens, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = paraakh(&[
        "ingest",
        "token",
        "--data",
        p(&data),
        "--tenant",
        "acme",
        "--role",
        "reviewer",
        "--subject",
        "bob@acme.example",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let staff = json(&out)["access_token"].as_str().unwrap().to_owned();
    let driver = browser.session();
    driver.open(&format!("{url}/review/sessions/s-review"));
    // Not signed in: the sign-in page, then back to the session.
    let field = driver.wait_for("textarea#token", Duration::from_secs(30));
    driver.type_into(&field, &staff);
    driver.click_on("form button[type=submit]");
    driver.wait_for("#timeline .pin", Duration::from_secs(60));
    let no_face = flagged[0].1;
    let picture = format!(
        "const i = document.querySelector('#ev-{no_face} img'); i.scrollIntoView(); return i.complete && i.naturalWidth > 0;"
    );
    driver.wait_until(
        "the backend's page shows the picture",
        Duration::from_secs(20),
        |d| d.execute(&picture).as_bool().unwrap_or(false),
    );
    driver.click_on(&format!("#ev-{no_face} button.decide-open"));
    driver.click_on(&format!("#ev-{no_face} input[value=confirmed]"));
    let note = driver.find(&format!("#ev-{no_face} textarea")).unwrap();
    driver.type_into(&note, "Nobody at the desk for the whole stretch.");
    driver.click_on(&format!("#ev-{no_face} button[type=submit]"));
    let result = format!("#ev-{no_face} output");
    driver.wait_until("the decision is recorded", Duration::from_secs(20), |d| {
        d.find(&result).is_some_and(|o| {
            d.text(&o)
                .starts_with("Recorded and signed as decision 0 by bob@acme.example")
        })
    });
    let heading = driver.text(&driver.find(&format!("#ev-{no_face} h3")).unwrap());
    assert!(
        heading.ends_with("— Confirmed (by bob@acme.example)"),
        "{heading}"
    );
    if let Ok(shots) = std::env::var("PARAAKH_REVIEW_SCREENSHOTS") {
        // The window shows what the page says a moment after it says it.
        std::thread::sleep(Duration::from_millis(500));
        driver.screenshot(&Path::new(&shots).join("18-review-backend-page.png"));
    }
    driver.quit();
    // Stored, signed, cosigned and verified in the export.
    let copy = t.join("copy");
    super::sync::export(&data, "s-review", &copy);
    let out = paraakh(&[
        "verify",
        p(&copy),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--accept-machine-attested",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verified = json(&out);
    let decision = &verified["review"]["decisions"][0];
    assert_eq!(decision["event_seq"], no_face);
    assert_eq!(decision["verdict"], "confirmed");
    assert_eq!(decision["reviewer"], "bob@acme.example");
    assert!(decision["backend_cosigned_at"].is_u64(), "{decision}");
    assert_eq!(
        decision["note"],
        "Nobody at the desk for the whole stretch."
    );
}
