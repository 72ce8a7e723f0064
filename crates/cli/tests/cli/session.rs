//! `paraakh session run` as a process: replay sources through the real
//! monitors, detectors and evidence writer; then `paraakh verify`. And a
//! SIGKILL in the middle of a session: the next run resumes it in a new
//! segment, the gap is an event, and answers saved before the kill are in
//! the submission.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{BIN, json, p, paraakh, repo_file, stderr};

/// Every record of a session's log, parsed.
pub(super) fn records(dir: &Path) -> Vec<serde_json::Value> {
    use paraakh_evidence::frame::{FileKind, parse_all};
    let (frames, _) = parse_all(&std::fs::read(dir.join("log")).unwrap(), FileKind::Log);
    frames
        .iter()
        .map(|f| serde_json::from_slice(&f.payload).unwrap())
        .collect()
}

pub(super) fn events<'a>(
    records: &'a [serde_json::Value],
    kind: &str,
) -> Vec<&'a serde_json::Value> {
    records
        .iter()
        .filter(|r| r["body"]["type"] == "event" && r["body"]["kind"] == kind)
        .collect()
}

pub(super) fn blobs_for<'a>(
    records: &'a [serde_json::Value],
    purpose: &str,
) -> Vec<&'a serde_json::Value> {
    records
        .iter()
        .filter(|r| r["body"]["type"] == "blob" && r["body"]["purpose"] == purpose)
        .collect()
}

/// `paraakh session run` (`cmd`, as the test starts it: on a display, with
/// an environment) of session `id` (tenant `acme`, exam `physics`) into
/// `dir`, encrypted to the key set `keys`, with the device key
/// `t/device.key` and the candidate's consent; commands on stdin, events as
/// JSON on stdout, all three piped. The caller adds the policy and sources.
pub(super) fn session_run(
    mut cmd: Command,
    t: &Path,
    keys: &Path,
    dir: &Path,
    id: &str,
) -> Command {
    cmd.args(["session", "run", "--out"])
        .arg(dir)
        .arg("--tenant-key")
        .arg(keys.join("encryption.pub"))
        .args(["--tenant", "acme", "--exam", "physics", "--session-id", id])
        .arg("--consent")
        .arg("--device-key")
        .arg(t.join("device.key"))
        .args(["--commands", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

pub(super) fn keys(tmp: &Path) -> PathBuf {
    let keys = tmp.join("tenant-keys");
    let out = paraakh(&["keys", "generate", "--out", p(&keys)]);
    assert!(out.status.success(), "{}", stderr(&out));
    keys
}

/// Verifies an offline session: no backend witnessed it, so it is intact
/// only as machine-attested evidence, and the report says so.
pub(super) fn verify(dir: &Path, keys: &Path) -> serde_json::Value {
    let key = keys.join("encryption.key");
    let args = ["verify", p(dir), "--tenant-key", p(&key), "--json"];
    let report = json(&paraakh(&args));
    assert_eq!(report["status"], "not_witnessed", "{report:#}");
    let out = paraakh(&[&args[..], &["--accept-machine-attested"]].concat());
    let report = json(&out);
    assert_eq!(report["status"], "intact", "{report:#}");
    assert_eq!(
        report["trust"]["parts"][0]["vouched_by"],
        "machine_attested"
    );
    report
}

/// The detection test data, when ONNX Runtime is there too; otherwise the
/// test is skipped (a failure under `PARAAKH_TEST_STRICT=1`).
pub(super) fn detection_data() -> Option<PathBuf> {
    match (
        std::env::var_os("PARAAKH_ONNXRUNTIME"),
        std::env::var_os("PARAAKH_DETECT_DATA"),
    ) {
        (Some(_), Some(data)) => Some(data.into()),
        _ => {
            paraakh_test_rig::skip("PARAAKH_ONNXRUNTIME or PARAAKH_DETECT_DATA not set");
            None
        }
    }
}

#[test]
fn a_replay_session_records_each_violation_with_its_evidence() {
    let Some(data) = detection_data() else {
        return;
    };
    if !paraakh_test_rig::require("session run with speech", &["espeak-ng", "sox"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    // Webcam: an empty desk (no one in the picture), two slightly different
    // frames so the feed is not frozen.
    let coffee = image::open(Path::new(&data).join("coffee.png"))
        .unwrap()
        .to_rgb8();
    let cam = t.join("camera");
    std::fs::create_dir(&cam).unwrap();
    coffee.save(cam.join("1.png")).unwrap();
    image::imageops::flip_horizontal(&coffee)
        .save(cam.join("2.png"))
        .unwrap();
    // Screens: two different pictures of the same size.
    let scr = t.join("screens");
    std::fs::create_dir(&scr).unwrap();
    coffee.save(scr.join("1.png")).unwrap();
    image::imageops::flip_vertical(&coffee)
        .save(scr.join("2.png"))
        .unwrap();
    // Microphone: someone talking for several seconds, after some silence.
    let speech = t.join("speech.wav");
    let padded = t.join("padded.wav");
    let ok = Command::new("espeak-ng")
        .args(["-w", p(&speech), "Could you tell me the answer to the third question? I think it is forty two, but I am not sure about the units."])
        .status()
        .unwrap();
    assert!(ok.success());
    let ok = Command::new("sox")
        .args([p(&speech), p(&padded), "pad", "1", "30"])
        .status()
        .unwrap();
    assert!(ok.success());
    let commands = t.join("commands.jsonl");
    std::fs::write(
        &commands,
        concat!(
            r#"{"save_answer":{"question":"q1","answer":"B"}}"#, "\n",
            r#"{"save_answer":{"question":"q2","answer":"Photosynthesis turns light into sugar."}}"#, "\n",
            r#"{"sleep":2}"#, "\n",
            r#"{"report":"focus_lost"}"#, "\n",
            r#"{"save_answer":{"question":"q1","answer":"C"}}"#, "\n",
            r#"{"sleep":13}"#, "\n",
            r#"{"submit":true}"#, "\n",
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
        "physics",
        "--session-id",
        "s-replay",
        "--camera",
        p(&cam),
        "--microphone",
        p(&padded),
        "--screen",
        p(&scr),
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
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["event"], "started");
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "warning" && l["kind"] == "no_face")
    );
    assert_eq!(lines.last().unwrap()["event"], "ended");

    let report = verify(&dir, &keys);
    assert_eq!(report["answers"]["submitted"], 2, "{report:#}");
    let recs = records(&dir);
    // No one in front of the camera for 10 s: one violation with a webcam picture.
    let no_face = events(&recs, "no_face");
    assert_eq!(no_face.len(), 1, "{no_face:?}");
    let snap = blobs_for(&recs, "webcam_snapshot");
    assert_eq!(snap[0]["body"]["event_seq"], no_face[0]["seq"]);
    assert_eq!(snap[0]["body"]["media_type"], "image/jpeg");
    // Talking: a speech event with its audio clip.
    let speech = events(&recs, "speech");
    assert_eq!(speech.len(), 1, "{speech:?}");
    let clip = blobs_for(&recs, "speech_clip");
    assert_eq!(clip[0]["body"]["event_seq"], speech[0]["seq"]);
    assert_eq!(clip[0]["body"]["media_type"], "audio/ogg");
    // Focus lost (reported as the app would): a screen capture for it.
    let focus = events(&recs, "focus_lost");
    assert_eq!(focus.len(), 1);
    let shots = blobs_for(&recs, "screen_capture");
    assert!(
        shots
            .iter()
            .any(|b| b["body"]["event_seq"] == focus[0]["seq"]),
        "{shots:?}"
    );
    // Periodic screen recording and the consent record.
    assert!(!blobs_for(&recs, "screen_recording").is_empty());
    assert_eq!(events(&recs, "consent_given").len(), 1);
    // The submission names the last answer to each question.
    let submission = recs
        .iter()
        .find(|r| r["body"]["type"] == "submission")
        .unwrap();
    let answers = submission["body"]["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 2);
    let last_q1 = recs
        .iter()
        .filter(|r| r["body"]["type"] == "answer" && r["body"]["question"] == "q1")
        .map(|r| r["seq"].clone())
        .next_back()
        .unwrap();
    assert!(
        answers
            .iter()
            .any(|a| a["question"] == "q1" && a["answer_seq"] == last_q1)
    );
}

#[test]
fn a_session_killed_mid_exam_resumes_in_a_new_segment_with_its_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    let dir = t.join("session");
    let base = |extra: &[&str]| {
        let mut c = Command::new(BIN);
        c.args([
            "session",
            "run",
            "--preset",
            "standard",
            "--out",
            p(&dir),
            "--tenant-key",
        ])
        .arg(keys.join("encryption.pub"))
        .args([
            "--tenant",
            "acme",
            "--exam",
            "physics",
            "--session-id",
            "s-kill",
        ])
        .args([
            "--device-key",
            p(&t.join("device.key")),
            "--no-detection",
            "--no-lockdown",
        ])
        .args([
            "--heartbeat",
            "1",
            "--checkpoint-every",
            "1",
            "--commands",
            "-",
            "--json",
        ])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        c
    };
    let mut first = base(&[]).spawn().unwrap();
    let mut stdin = first.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q1","answer":"A"}}}}"#
    )
    .unwrap();
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q2","answer":"before the crash"}}}}"#
    )
    .unwrap();
    let mut stdout = BufReader::new(first.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut saved = 0;
    while saved < 2 {
        assert!(Instant::now() < deadline, "answers were not saved");
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if line.contains("\"answer_saved\"") {
            saved += 1;
        }
    }
    // Heartbeats and checkpoints go on for a while; then power is "lost".
    std::thread::sleep(Duration::from_millis(2500));
    first.kill().unwrap();
    first.wait().unwrap();
    drop(stdin);
    let out = paraakh(&["verify", p(&dir), "--json"]);
    assert_eq!(
        json(&out)["status"],
        "truncated",
        "a killed session is incomplete, not altered"
    );

    // The next run resumes it: a new segment, the gap recorded, then submit.
    let mut second = base(&[]).spawn().unwrap();
    let mut stdin = second.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q3","answer":"after"}}}}"#
    )
    .unwrap();
    // Malformed answers are refused without ending the exam: one the
    // command reader rejects, one the evidence writer rejects.
    writeln!(stdin, r#"{{"save_answer":{{"answer":"no question"}}}}"#).unwrap();
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q\u0007","answer":"x"}}}}"#
    )
    .unwrap();
    writeln!(stdin, r#"{{"submit":true}}"#).unwrap();
    drop(stdin);
    let out = second.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(started["resumed"], true, "{started}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(r#""event":"trouble","monitor":"answers""#),
        "{stdout}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("save_answer takes"), "{err}");

    let report = verify(&dir, &keys);
    assert_eq!(
        report["segments"].as_array().unwrap().len(),
        2,
        "{report:#}"
    );
    let recs = records(&dir);
    let resumed = events(&recs, "session_resumed");
    assert_eq!(resumed.len(), 1);
    assert!(
        resumed[0]["body"]["detail"]["gap_seconds"]
            .as_f64()
            .unwrap()
            >= 0.0
    );
    let submission = recs
        .iter()
        .find(|r| r["body"]["type"] == "submission")
        .unwrap();
    let questions: Vec<&str> = submission["body"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["question"].as_str().unwrap())
        .collect();
    assert_eq!(
        questions,
        ["q1", "q2", "q3"],
        "answers saved before the kill are submitted"
    );
    assert!(recs.iter().any(|r| r["body"]["type"] == "heartbeat"));
}

#[test]
fn capture_without_consent_is_refused_before_anything_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keys(tmp.path());
    let dir = tmp.path().join("s");
    let out = paraakh(&[
        "session",
        "run",
        "--out",
        p(&dir),
        "--tenant-key",
        p(&keys.join("encryption.pub")),
        "--screen",
        "desktop",
        "--device-key",
        p(&tmp.path().join("d.key")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing is captured before the candidate agrees"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.exists());
}

/// A `session run` on replayed sources with lockdown switched off, `policy`
/// (a TOML file) and the given extra arguments; returns the session dir.
fn run_replayed(t: &Path, keys: &Path, name: &str, args: &[&str]) -> PathBuf {
    let dir = t.join(name);
    let (public, device, models) = (
        keys.join("encryption.pub"),
        t.join("device.key"),
        repo_file("models"),
    );
    let mut all = vec![
        "session",
        "run",
        "--out",
        p(&dir),
        "--tenant-key",
        p(&public),
        "--tenant",
        "acme",
        "--exam",
        "physics",
        "--session-id",
        name,
        "--consent",
        "--device-key",
        p(&device),
        "--models",
        p(&models),
        "--no-lockdown",
        "--checkpoint-every",
        "5",
        "--json",
    ];
    all.extend_from_slice(args);
    let out = paraakh(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

/// Two people in front of the camera (a group photo replayed): one
/// `multiple_faces` violation with the webcam picture that shows them; the
/// environment record says the camera was replayed, set by the command line.
#[test]
fn a_group_photo_in_front_of_the_camera_is_multiple_faces_with_its_snapshot() {
    let Some(data) = detection_data() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    // Two people side by side on a desk scene: the astronaut and the
    // cameraman (faces of about 100 px, well inside the detector's range).
    let data = Path::new(&data);
    let astronaut = image::open(data.join("astronaut.png")).unwrap().to_rgb8();
    let cameraman = image::open(data.join("camera.png")).unwrap().to_rgb8();
    let coffee = image::open(data.join("coffee.png")).unwrap().to_rgb8();
    let mut group =
        image::imageops::resize(&coffee, 640, 480, image::imageops::FilterType::Triangle);
    let left = image::imageops::crop_imm(&astronaut, 120, 20, 220, 240).to_image();
    let right = image::imageops::crop_imm(&cameraman, 130, 50, 180, 200).to_image();
    image::imageops::overlay(&mut group, &left, 60, 140);
    image::imageops::overlay(&mut group, &right, 380, 160);
    let cam = t.join("camera");
    std::fs::create_dir(&cam).unwrap();
    group.save(cam.join("1.png")).unwrap();
    // A second, slightly different frame: the feed is not frozen.
    let mut moved = group.clone();
    image::imageops::overlay(&mut moved, &left, 64, 142);
    moved.save(cam.join("2.png")).unwrap();
    // The screen: the desk scene, replayed (the policy's snapshots need it).
    let screens = t.join("screens");
    std::fs::create_dir(&screens).unwrap();
    coffee.save(screens.join("1.png")).unwrap();
    let policy = t.join("policy.toml");
    std::fs::write(
        &policy,
        "preset = \"standard\"\nname = \"Group photo\"\n[voice]\nenabled = false\n",
    )
    .unwrap();
    let dir = run_replayed(
        t,
        &keys,
        "s-group",
        &[
            "--policy",
            p(&policy),
            "--camera",
            p(&cam),
            "--screen",
            p(&screens),
            "--duration",
            "14s",
        ],
    );
    let recs = records(&dir);
    let multiple = events(&recs, "multiple_faces");
    assert_eq!(multiple.len(), 1, "{:#?}", events(&recs, "no_face"));
    assert_eq!(events(&recs, "no_face").len(), 0);
    let snaps = blobs_for(&recs, "webcam_snapshot");
    assert!(
        snaps
            .iter()
            .any(|s| s["body"]["event_seq"] == multiple[0]["seq"]),
        "{snaps:?}"
    );
    // The environment record: replayed camera, set by the command line.
    let env = events(&recs, "environment");
    assert_eq!(env.len(), 1);
    let deviations = env[0]["body"]["detail"]["deviations"].as_array().unwrap();
    assert!(
        deviations.iter().any(|d| d["setting"] == "camera source"
            && d["actual"].as_str().unwrap().starts_with("replayed from")
            && d["set_by"] == "the command line"),
        "{deviations:?}"
    );
    let report = verify(&dir, &keys);
    assert_eq!(report["environment"]["records"][0]["seq"], env[0]["seq"]);
    assert!(
        report["environment"]["watched"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("camera")),
        "{report:#}"
    );
}

/// The X server the screen is captured from dies mid-exam: the screen
/// monitor gives up after three failed captures and says so with a
/// `monitor_unavailable` record; `verify` lists it as not watched from there.
#[test]
fn a_monitor_killed_mid_session_is_recorded_as_unavailable() {
    if !paraakh_test_rig::require("screen monitor killed", &["Xvfb"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    let display = paraakh_test_rig::Display::xvfb(800, 600).unwrap();
    let policy = t.join("policy.toml");
    std::fs::write(
        &policy,
        "preset = \"standard\"\nname = \"Screen only\"\n[face]\nenabled = false\n[voice]\nenabled = false\n[screen]\ninterval_seconds = 5\n",
    )
    .unwrap();
    let dir = t.join("s-killed");
    let child = display
        .command(BIN)
        .args([
            "session",
            "run",
            "--out",
            p(&dir),
            "--tenant-key",
            p(&keys.join("encryption.pub")),
            "--tenant",
            "acme",
            "--exam",
            "physics",
            "--session-id",
            "s-killed",
            "--consent",
            "--device-key",
            p(&t.join("device.key")),
            "--no-detection",
            "--no-lockdown",
            "--policy",
            p(&policy),
            "--screen",
            "desktop",
            "--checkpoint-every",
            "2",
            "--duration",
            "40s",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the screen has been watched for a moment, the X server goes away.
    std::thread::sleep(Duration::from_secs(4));
    drop(display);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = records(&dir);
    let unavailable = events(&recs, "monitor_unavailable");
    let screen = unavailable
        .iter()
        .find(|r| r["body"]["detail"]["monitor"] == "screen")
        .unwrap_or_else(|| panic!("{unavailable:#?}"));
    assert_eq!(screen["body"]["detail"]["mid_exam"], true);
    assert_eq!(screen["severity"], "high");
    // Lockdown switched off on the command line: said, not silent.
    assert!(
        unavailable
            .iter()
            .any(|r| r["body"]["detail"]["monitor"] == "processes"
                && r["body"]["detail"]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("switched off by the command line")),
        "{unavailable:#?}"
    );
    let report = verify(&dir, &keys);
    let env = &report["environment"];
    assert!(
        !env["watched"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("screen")),
        "{env:#}"
    );
    assert!(
        env["not_watched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["what"] == "screen" && n["seq"] == screen["seq"]),
        "{env:#}"
    );
    // The reviewer's text says it too.
    let text = paraakh(&["verify", p(&dir), "--accept-machine-attested"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("not watched: processes"), "{text}");
    assert!(text.contains("· environment  record"), "{text}");
}
