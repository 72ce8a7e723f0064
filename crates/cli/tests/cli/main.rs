//! The `paraakh` command as scripts use it: names, exit codes, JSON.

// Test and benchmark code: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[cfg(all(feature = "sync", feature = "ingest"))]
mod agent;
#[cfg(feature = "capture")]
mod capture;
#[cfg(feature = "check")]
mod check;
#[cfg(all(feature = "check", feature = "sync", feature = "ingest"))]
mod endurance;
mod grammar;
#[cfg(feature = "check")]
mod input;
#[cfg(all(feature = "sync", feature = "ingest"))]
mod join;
#[cfg(all(feature = "sync", feature = "ingest"))]
mod replicas;
mod results;
#[cfg(all(feature = "check", feature = "sync", feature = "ingest"))]
mod review;
#[cfg(all(feature = "sync", feature = "ingest"))]
mod roles;
#[cfg(feature = "check")]
mod session;
#[cfg(all(feature = "sync", feature = "ingest"))]
mod sync;
#[cfg(all(feature = "sync", feature = "ingest"))]
mod witness;

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_paraakh");

fn paraakh(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A key set and a simulated session encrypted to it.
fn setup(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let keys = tmp.join("keys");
    let session = tmp.join("session");
    let out = paraakh(&["keys", "generate", "--out", p(&keys)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = paraakh(&[
        "session",
        "simulate",
        "--out",
        p(&session),
        "--events",
        "120",
        "--blobs",
        "4",
        "--blob-size",
        "100-70000",
        "--tenant-key",
        p(&keys.join("encryption.pub")),
        "--backend-key-out",
        p(&keys.join("backend.pub")),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["blobs"], 4);
    assert!(summary["receipts"].as_u64().unwrap() > 0);
    (keys, session)
}

#[test]
fn keys_generate_writes_a_key_set_with_private_parts_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("k");
    let out = paraakh(&[
        "keys",
        "generate",
        "--out",
        p(&keys),
        "--name",
        "exams.example.org",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    assert!(
        doc["encryption_public_key"]
            .as_str()
            .unwrap()
            .starts_with("paraakh-x25519-public-key+exams.example.org+")
    );
    for (file, mode) in [
        ("signing.key", 0o600),
        ("encryption.key", 0o600),
        ("signing.pub", 0o644),
        ("encryption.pub", 0o644),
    ] {
        let meta = std::fs::metadata(keys.join(file)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
    }
    let before = std::fs::read(keys.join("encryption.key")).unwrap();
    let again = paraakh(&["keys", "generate", "--out", p(&keys)]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("never overwritten"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read(keys.join("encryption.key")).unwrap(),
        before,
        "an existing key was changed"
    );
    let bad = paraakh(&[
        "keys",
        "generate",
        "--out",
        p(&tmp.path().join("x")),
        "--name",
        "has space",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn an_untouched_session_verifies_with_exit_0_only_when_the_pinned_backend_witnessed_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (keys, session) = setup(tmp.path());
    let backend = keys.join("backend.pub");

    // Pinned: intact and witnessed from the first record to the last.
    let out = paraakh(&[
        "verify",
        p(&session),
        "--backend-key",
        p(&backend),
        "--tenant-key",
        p(&keys.join("encryption.key")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["status"], "intact");
    assert_eq!(report["blobs"]["decrypted"], 4);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["receipts"]["backend_key_pinned"], true);
    assert_eq!(report["trust"]["device_key_bound"], true);
    let parts = report["trust"]["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(parts[0]["vouched_by"], "witnessed");
    assert_eq!(parts[0]["to"], report["records"]);
    assert_eq!(report["client_attested_only"], serde_json::Value::Null);
    let human = paraakh(&["verify", p(&session), "--backend-key", p(&backend)]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("Result: INTACT"), "{text}");
    assert!(text.contains("witnessed"), "{text}");
    assert!(text.contains("the backend bound device key"), "{text}");

    // Unpinned: the key the session names itself vouches for nothing.
    let out = paraakh(&["verify", p(&session), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["status"], "not_witnessed");
    assert_eq!(report["findings"][0]["kind"], "not_witnessed");
    assert_eq!(report["client_attested_only"]["from"], 0);
    let human = paraakh(&["verify", p(&session)]);
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("Result: NOT WITNESSED"), "{text}");
    assert!(text.contains("machine-attested"), "{text}");

    // Accepted as machine-attested by the auditor: exit 0, and it says so.
    let out = paraakh(&["verify", p(&session), "--accept-machine-attested"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("vouched for only by the candidate's machine"),
        "{text}"
    );

    // A different pinned key: the statement and every receipt are refused.
    let other = tempfile::tempdir().unwrap();
    let out = paraakh(&[
        "session",
        "simulate",
        "--out",
        p(&other.path().join("s")),
        "--events",
        "5",
        "--backend-key-out",
        p(&other.path().join("b.pub")),
    ]);
    assert!(out.status.success());
    let out = paraakh(&[
        "verify",
        p(&session),
        "--backend-key",
        p(&other.path().join("b.pub")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let kinds: Vec<String> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.iter().any(|k| k == "bad_statement"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "bad_receipt"), "{kinds:?}");
}

#[test]
fn tampering_gives_exit_1_and_names_each_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let (keys, session) = setup(tmp.path());
    // Remove one blob.
    let blob = std::fs::read_dir(session.join("blobs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&blob).unwrap();
    let backend = keys.join("backend.pub");
    let out = paraakh(&[
        "verify",
        p(&session),
        "--backend-key",
        p(&backend),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["status"], "invalid");
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["missing_blob"]);

    let human = paraakh(&["verify", p(&session), "--backend-key", p(&backend)]);
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("[missing_blob]") && text.contains("Result: INVALID"),
        "{text}"
    );
}

#[test]
fn a_session_that_never_ended_is_reported_truncated_with_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, session) = setup(tmp.path());
    // Cut the log before its last records, as a crash would; drop the final checkpoint too.
    let log = session.join("log");
    let bytes = std::fs::read(&log).unwrap();
    let frames = frame_starts(&bytes);
    let keep = frames[frames.len() - 3];
    std::fs::write(&log, &bytes[..keep]).unwrap();
    let out = paraakh(&["verify", p(&session), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"truncated"), "{kinds:?}");
}

/// Frame start offsets of a log file (magic line, then length-prefixed frames).
fn frame_starts(bytes: &[u8]) -> Vec<usize> {
    let mut at = b"paraakh evidence log v1\n".len();
    let mut starts = Vec::new();
    while at + 4 <= bytes.len() {
        starts.push(at);
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 8 + len;
    }
    starts
}

#[test]
fn usage_and_io_errors_exit_2_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = paraakh(&["verify", p(&tmp.path().join("nope"))]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("is not a session directory"),
        "{}",
        stderr(&missing)
    );

    let empty = paraakh(&["verify", p(tmp.path())]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        stderr(&empty).contains("holds no evidence session"),
        "{}",
        stderr(&empty)
    );

    assert_eq!(paraakh(&["verify"]).status.code(), Some(2));
    assert_eq!(paraakh(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(paraakh(&["session", "simulate"]).status.code(), Some(2));
}

#[test]
fn a_public_key_is_a_usage_error_and_a_key_that_opens_nothing_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let (keys, session) = setup(tmp.path());
    let public = paraakh(&[
        "verify",
        p(&session),
        "--tenant-key",
        p(&keys.join("encryption.pub")),
    ]);
    assert_eq!(public.status.code(), Some(2));
    assert!(
        stderr(&public).contains("encryption.key"),
        "{}",
        stderr(&public)
    );

    let other = tmp.path().join("other");
    assert!(
        paraakh(&["keys", "generate", "--out", p(&other)])
            .status
            .success()
    );
    let wrong = paraakh(&[
        "verify",
        p(&session),
        "--tenant-key",
        p(&other.join("encryption.key")),
        "--backend-key",
        p(&keys.join("backend.pub")),
        "--json",
    ]);
    assert_eq!(wrong.status.code(), Some(1), "{}", stderr(&wrong));
    let report = json(&wrong);
    assert_eq!(report["findings"][0]["kind"], "wrong_tenant_key");
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("encryption.key"), "{message}");
}

#[test]
fn simulate_refuses_a_directory_that_already_holds_a_session() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, session) = setup(tmp.path());
    let log_before = std::fs::read(session.join("log")).unwrap();
    let out = paraakh(&["session", "simulate", "--out", p(&session)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(session.join("log")).unwrap(),
        log_before,
        "recorded evidence was changed"
    );
}

fn repo_file(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

#[test]
fn policy_show_describes_presets_and_marks_what_an_override_changed() {
    let out = paraakh(&[
        "policy",
        "show",
        p(&repo_file("policies/presets/strict.toml")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("12. Network: on; the exam needs the network throughout"),
        "{text}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("exam.toml");
    std::fs::write(
        &file,
        "preset = \"standard\"\nname = \"Physics\"\n[face]\nno_face = { after_seconds = 20 }\n",
    )
    .unwrap();
    let out = paraakh(&["policy", "show", p(&file)]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("*      - No face in view for 20 s or more"),
        "{text}"
    );
    assert!(
        text.contains("the standard preset with 1 setting changed"),
        "{text}"
    );

    let out = paraakh(&["policy", "show", p(&file), "--json"]);
    let doc = json(&out);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["policy"]["face"]["no_face"]["after_seconds"], 20.0);
    assert_eq!(doc["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn a_proctor_code_is_made_hashed_and_taken_into_a_policy() {
    use std::io::Write as _;
    let out = paraakh(&["policy", "proctor-code", "--json"]);
    assert!(out.status.success());
    let made = json(&out);
    let code = made["code"].as_str().unwrap();
    let hash = made["unlock_code"].as_str().unwrap();
    assert_eq!(code.len(), 14, "{code}");
    let read = paraakh_policy::proctor::ProctorCodeHash::parse(hash).unwrap();
    assert!(read.matches(code) && read.matches(&code.to_lowercase()));

    // The human form prints the lines to paste; pasted, the policy is valid
    // and `policy show` says what they do.
    let out = paraakh(&["policy", "proctor-code"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines = &text[text.find("[proctor]").unwrap()..];
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("policy.toml");
    std::fs::write(
        &file,
        format!("preset = \"standard\"\nname = \"x\"\n{lines}"),
    )
    .unwrap();
    let shown = paraakh(&["policy", "show", p(&file)]);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("the tenant's proctor code"), "{shown}");
    assert!(
        shown.contains("goes on only after a proctor types the code"),
        "{shown}"
    );

    // Your own code from stdin: hashed, never printed; too short is refused.
    let own = |code: &str| {
        let mut child = Command::new(BIN)
            .args(["policy", "proctor-code", "--code-stdin", "--json"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{code}").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = own("Exam-Hall-7-Blue");
    assert!(out.status.success());
    let doc = json(&out);
    assert!(
        doc["code"].is_null(),
        "a code you chose is not printed back"
    );
    let read =
        paraakh_policy::proctor::ProctorCodeHash::parse(doc["unlock_code"].as_str().unwrap())
            .unwrap();
    assert!(read.matches("EXAM HALL 7 BLUE"));
    let out = own("1234");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));
}

#[test]
fn an_invalid_policy_lists_every_problem_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    std::fs::write(
        &file,
        "preset = \"standard\"\nname = \"x\"\n[face]\nsmile = true\n[displays]\nmax = 0\n",
    )
    .unwrap();
    let out = paraakh(&["policy", "show", p(&file), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["valid"], false);
    let paths: Vec<&str> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["face.smile", "displays.max"]);
    let keys = tmp.path().join("keys");
    assert!(
        paraakh(&["keys", "generate", "--out", p(&keys)])
            .status
            .success()
    );
    let sign = paraakh(&[
        "sign",
        "policy",
        p(&file),
        "--key",
        p(&keys.join("signing.key")),
    ]);
    assert_eq!(
        sign.status.code(),
        Some(1),
        "an invalid policy must not be signed"
    );
    assert!(!tmp.path().join("bad.toml.signed").exists());
}

#[test]
fn a_signed_policy_is_accepted_only_from_a_trusted_key_and_unaltered() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let other = tmp.path().join("other");
    assert!(
        paraakh(&["keys", "generate", "--out", p(&keys)])
            .status
            .success()
    );
    assert!(
        paraakh(&["keys", "generate", "--out", p(&other)])
            .status
            .success()
    );
    let file = tmp.path().join("exam.toml");
    std::fs::write(&file, "preset = \"strict\"\nname = \"Certification\"\n").unwrap();
    let out = paraakh(&[
        "sign",
        "policy",
        p(&file),
        "--key",
        p(&keys.join("signing.key")),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let signed = tmp.path().join("exam.toml.signed");

    let ok = paraakh(&[
        "policy",
        "show",
        p(&signed),
        "--trust",
        p(&keys.join("signing.pub")),
        "--json",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(
        json(&ok)["signed_by"]
            .as_str()
            .unwrap()
            .starts_with("tenant.paraakh.example+")
    );

    let untrusted = paraakh(&[
        "policy",
        "show",
        p(&signed),
        "--trust",
        p(&other.join("signing.pub")),
    ]);
    assert_eq!(untrusted.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&untrusted.stdout).contains("does not trust"));

    let no_trust = paraakh(&["policy", "show", p(&signed)]);
    assert_eq!(no_trust.status.code(), Some(2));
    assert!(stderr(&no_trust).contains("--trust"));

    let mut envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&signed).unwrap()).unwrap();
    envelope["payloadType"] = serde_json::json!("application/vnd.paraakh.policy+json");
    std::fs::write(&signed, envelope.to_string()).unwrap();
    let altered = paraakh(&[
        "policy",
        "show",
        p(&signed),
        "--trust",
        p(&keys.join("signing.pub")),
    ]);
    assert_eq!(altered.status.code(), Some(1));
}

#[test]
fn an_exam_is_packaged_locked_and_unlocked_only_with_its_start_code() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exam");
    std::fs::create_dir(&dir).unwrap();
    for f in ["exam.toml", "policy.toml"] {
        std::fs::copy(
            repo_file(&format!("examples/exams/physics-demo/{f}")),
            dir.join(f),
        )
        .unwrap();
    }
    let keys = tmp.path().join("keys");
    assert!(
        paraakh(&["keys", "generate", "--out", p(&keys)])
            .status
            .success()
    );
    let signing = keys.join("signing.key");
    // The policy must be signed before the exam can name it.
    let unsigned = paraakh(&[
        "sign",
        "exam",
        p(&dir),
        "--key",
        p(&signing),
        "--encryption-key",
        p(&keys.join("encryption.pub")),
    ]);
    assert_eq!(unsigned.status.code(), Some(2));
    assert!(
        stderr(&unsigned).contains("policy.toml.signed"),
        "{}",
        stderr(&unsigned)
    );
    assert!(
        paraakh(&[
            "sign",
            "policy",
            p(&dir.join("policy.toml")),
            "--key",
            p(&signing)
        ])
        .status
        .success()
    );
    let out = paraakh(&[
        "sign",
        "exam",
        p(&dir),
        "--key",
        p(&signing),
        "--encryption-key",
        p(&keys.join("encryption.pub")),
        "--start-code",
        "7KQ4-M2XD-9PWA",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let package = dir.join("physics-demo.paraakh-exam");
    let key_file = dir.join("physics-demo.paraakh-exam.content-key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let trust = keys.join("signing.pub");
    let now = "1790000000";

    let locked = paraakh(&[
        "exam",
        "show",
        p(&package),
        "--trust",
        p(&trust),
        "--tenant",
        "demo-tenant",
        "--json",
        "--now",
        now,
    ]);
    assert_eq!(
        locked.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&locked.stdout)
    );
    assert_eq!(json(&locked)["content"], serde_json::Value::Null);
    let text = String::from_utf8_lossy(&std::fs::read(&package).unwrap()).into_owned();
    assert!(
        !text.contains("Newton"),
        "a question is readable in the package before the start"
    );

    let open = paraakh(&[
        "exam",
        "show",
        p(&package),
        "--trust",
        p(&trust),
        "--tenant",
        "demo-tenant",
        "--json",
        "--now",
        now,
        "--start-code",
        "7kq4m2xd9pwa",
    ]);
    assert_eq!(
        open.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&open.stdout)
    );
    assert_eq!(
        json(&open)["content"]["questions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let wrong = paraakh(&[
        "exam",
        "show",
        p(&package),
        "--trust",
        p(&trust),
        "--tenant",
        "demo-tenant",
        "--now",
        now,
        "--start-code",
        "AAAA-BBBB-CCCC",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    let other_tenant = paraakh(&[
        "exam",
        "show",
        p(&package),
        "--trust",
        p(&trust),
        "--tenant",
        "elsewhere",
    ]);
    assert_eq!(other_tenant.status.code(), Some(1));
}

fn astronaut() -> Option<std::path::PathBuf> {
    std::env::var_os("PARAAKH_DETECT_DATA").map(|d| Path::new(&d).join("astronaut.png"))
}

#[test]
fn detection_without_onnx_runtime_is_a_clear_error_not_a_crash() {
    let image = repo_file("crates/detect/Cargo.toml"); // never read: the runtime fails first
    let out = Command::new(BIN)
        .args(["detect", "faces", p(&image)])
        .env(
            "PARAAKH_ONNXRUNTIME",
            "/nonexistent/libonnxruntime.so.1.32.0",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("face detection unavailable: ONNX Runtime 1.32.0 was not found")
            && err.contains("scripts/fetch-onnxruntime"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_wrong_onnx_runtime_library_is_refused_before_it_is_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("libonnxruntime.so.1.32.0");
    std::fs::copy("/bin/true", &fake).unwrap();
    let out = Command::new(BIN)
        .args(["detect", "voice", p(&repo_file("README.md"))])
        .env("PARAAKH_ONNXRUNTIME", &fake)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("voice detection unavailable")
            && err.contains("is not a known ONNX Runtime build"),
        "{err}"
    );
}

/// The official ONNX Runtime builds send telemetry to Microsoft and keep a
/// device id in the home unless switched off before they load: `paraakh`
/// switches it off itself, whatever its environment says, and leaves
/// nothing of ONNX Runtime's in the home.
#[test]
fn onnx_runtime_runs_without_telemetry_and_leaves_nothing_in_the_home() {
    let (Some(_), Some(image)) = (std::env::var_os("PARAAKH_ONNXRUNTIME"), astronaut()) else {
        paraakh_test_rig::skip("PARAAKH_ONNXRUNTIME or PARAAKH_DETECT_DATA not set");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    for asked in [None, Some("0")] {
        let mut cmd = Command::new(BIN);
        cmd.args(["detect", "faces", p(&image), "--models"])
            .arg(repo_file("models"))
            .env("HOME", home.path())
            .env("XDG_CACHE_HOME", home.path().join(".cache"));
        match asked {
            None => cmd.env_remove("ORT_DISABLE_TELEMETRY"),
            Some(v) => cmd.env("ORT_DISABLE_TELEMETRY", v),
        };
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let left: Vec<_> = walk(home.path());
    assert!(
        left.is_empty(),
        "ONNX Runtime left files in the home: {left:?}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

#[test]
fn detect_faces_and_voice_report_as_documented() {
    let (Some(_), Some(image)) = (std::env::var_os("PARAAKH_ONNXRUNTIME"), astronaut()) else {
        paraakh_test_rig::skip("PARAAKH_ONNXRUNTIME or PARAAKH_DETECT_DATA not set");
        return;
    };
    let models = repo_file("models");
    let out = paraakh(&[
        "detect",
        "faces",
        p(&image),
        "--models",
        p(&models),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let img = &doc["images"][0];
    assert_eq!(
        (img["width"].as_u64(), img["height"].as_u64()),
        (Some(512), Some(512))
    );
    let faces = img["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1, "{doc}");
    for key in ["x", "y", "w", "h", "score", "keypoints", "head_pose"] {
        assert!(faces[0].get(key).is_some(), "{key} missing: {doc}");
    }
    assert_eq!(faces[0]["keypoints"].as_array().unwrap().len(), 6);
    assert_eq!(img["quality"]["visibility"], "ok");

    // A silent WAV at 44.1 kHz stereo: no speech.
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("silence.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for _ in 0..44_100 * 2 {
        w.write_sample(0i16).unwrap();
    }
    w.finalize().unwrap();
    let out = paraakh(&["detect", "voice", p(&wav), "--models", p(&models), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert!(
        (doc["duration_s"].as_f64().unwrap() - 1.0).abs() < 0.01,
        "{doc}"
    );
    assert_eq!(doc["speech_ratio"], 0.0);
    assert_eq!(doc["segments"].as_array().unwrap().len(), 0);
    assert_eq!(doc["path"], p(&wav));
}
