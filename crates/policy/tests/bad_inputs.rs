//! Every bad input is refused with a message that names the problem, and
//! nothing panics. One table per parser; each row: a name, the input, and a
//! fragment the error message must contain.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use paraakh_keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_policy::envelope::{EXAM_TYPE, Envelope, POLICY_TYPE};
use paraakh_policy::{PolicyError, parse, presets};

/// A standard-preset policy with `extra` appended.
fn over(extra: &str) -> String {
    format!("preset = \"standard\"\nname = \"Test exam\"\n{extra}")
}

fn standard() -> String {
    presets::text("standard").unwrap().to_owned()
}

#[test]
fn bad_policies_are_refused_with_the_problem_named() {
    let cases: Vec<(&str, String, &str)> = vec![
        ("not toml", "this is = = not toml".into(), "not valid TOML"),
        (
            "unknown top-level setting",
            over("colour = \"blue\""),
            "colour: unknown setting",
        ),
        (
            "a client version that is not three numbers",
            over("min_client_version = \"1.2\""),
            "min_client_version: \"1.2\" is not a client version",
        ),
        (
            "a client version that is not a string",
            over("min_client_version = 2"),
            "min_client_version",
        ),
        (
            "unknown layer setting",
            over("[face]\nsmile = true"),
            "face.smile: unknown setting",
        ),
        (
            "unknown rule setting",
            over("[face]\nno_face = { after_secs = 3 }"),
            "face.no_face.after_secs: unknown setting",
        ),
        (
            "unknown preset",
            "preset = \"paranoid\"\nname = \"x\"".into(),
            "\"paranoid\" is not a preset",
        ),
        (
            "preset not a string",
            "preset = 3\nname = \"x\"".into(),
            "preset: must be the name of a preset",
        ),
        (
            "missing format without preset",
            "name = \"x\"".into(),
            "format: missing",
        ),
        (
            "wrong format version",
            standard().replace("paraakh-policy/1", "paraakh-policy/9"),
            "format: must be",
        ),
        (
            "missing setting without preset",
            standard().replace("clip_seconds = 15", ""),
            "voice.clip_seconds: missing",
        ),
        (
            "missing layer without preset",
            standard().replace("[devtools]", "[devtoolz]"),
            "devtools: missing",
        ),
        (
            "empty name",
            over("").replace("name = \"Test exam\"", "name = \"  \""),
            "name: must be 1 to 120",
        ),
        (
            "wrong type: bool as string",
            over("[face]\nenabled = \"yes\""),
            "face.enabled: must be true or false, not a string",
        ),
        (
            "wrong type: number as string",
            over("[voice]\nclip_seconds = \"15\""),
            "voice.clip_seconds: must be a number",
        ),
        (
            "wrong type: rule as number",
            over("[focus]\nlost = 3"),
            "focus.lost: must be a table",
        ),
        (
            "severity unknown",
            over("[focus]\nlost = { severity = \"extreme\" }"),
            "\"extreme\" is not one of info, low, medium, high, critical",
        ),
        (
            "action unknown",
            over("[focus]\nlost = { action = \"shame\" }"),
            "\"shame\" is not one of log, warn",
        ),
        (
            "threshold zero",
            over("[face]\nno_face = { after_seconds = 0 }"),
            "face.no_face.after_seconds: must be between 1 and 600",
        ),
        (
            "threshold negative",
            over("[voice]\nspeech = { after_seconds = -2 }"),
            "voice.speech.after_seconds: must be between",
        ),
        (
            "threshold too large",
            over("[face]\nmultiple_faces = { after_seconds = 100000 }"),
            "must be between 0.5 and 600",
        ),
        (
            "threshold on an instant rule",
            over("[fullscreen]\nexit = { after_seconds = 3 }"),
            "fullscreen.exit.after_seconds: unknown setting",
        ),
        (
            "displays zero",
            over("[displays]\nmax = 0"),
            "displays.max: must be a whole number from 1 to 8",
        ),
        (
            "displays negative",
            over("[displays]\nmax = -1"),
            "displays.max: must be a whole number",
        ),
        (
            "change threshold above one",
            over("[screen]\nchange_threshold = 1.5"),
            "screen.change_threshold: must be between 0 and 1",
        ),
        (
            "screen width tiny",
            over("[screen]\nmax_width = 10"),
            "screen.max_width",
        ),
        (
            "keyframe shorter than interval",
            over("[screen]\ninterval_seconds = 600"),
            "screen.keyframe_seconds: is 300 s, shorter than interval_seconds",
        ),
        (
            "pre-roll longer than clip",
            over("[voice]\nclip_seconds = 2\npre_roll_seconds = 5"),
            "voice.pre_roll_seconds: is 5 s but clips are only 2 s",
        ),
        (
            "clip too short for the speech",
            over("[voice]\nclip_seconds = 3"),
            "voice.clip_seconds: is 3 s, too short",
        ),
        (
            "block_start during the exam",
            over("[focus]\nlost = { action = \"block_start\" }"),
            "block_start applies only to checks made before the exam starts",
        ),
        (
            "auto_submit before the start",
            over(
                "[processes]\nrunning_at_start = { severity = \"critical\", action = \"auto_submit\", occurrences = 1 }",
            ),
            "auto_submit needs an exam in progress",
        ),
        (
            "auto_submit without occurrences",
            over("[devtools]\nattempt = { severity = \"critical\", action = \"auto_submit\" }"),
            "devtools.attempt.occurrences: missing",
        ),
        (
            "auto_submit zero occurrences",
            over(
                "[devtools]\nattempt = { severity = \"critical\", action = \"auto_submit\", occurrences = 0 }",
            ),
            "occurrences: must be a whole number from 1 to 100",
        ),
        (
            "occurrences with another action",
            over("[devtools]\nattempt = { occurrences = 2 }"),
            "occurrences: applies only to action = \"auto_submit\"",
        ),
        (
            "auto_submit on a low severity",
            over(
                "[focus]\nlost = { severity = \"low\", action = \"auto_submit\", occurrences = 2 }",
            ),
            "auto_submit needs severity high or critical",
        ),
        (
            "screen snapshot without screen recording",
            over("[screen]\nenabled = false"),
            "focus.lost.action: snapshot keeps a screen capture",
        ),
        (
            "program both blocked and allowed",
            over("[processes]\nblock = [\"zoom\"]\nallow = [\"Zoom\"]"),
            "\"zoom\" is both blocked and allowed",
        ),
        (
            "blocklist entry empty",
            over("[processes]\nblock = [\"\"]"),
            "processes.block[0]: must be a string",
        ),
        (
            "blocklist not a list",
            over("[processes]\nblock = \"zoom\""),
            "processes.block: must be a list of strings",
        ),
        (
            "kill not a bool",
            over("[processes]\nstarted_during_exam = { kill = \"yes\" }"),
            "processes.started_during_exam.kill: must be true or false",
        ),
        (
            "origin over plain http",
            over("[network]\nallowed_origins = [\"http://exam.example.org\"]"),
            "plain http is allowed only for localhost",
        ),
        (
            "origin with a path",
            over("[network]\nallowed_origins = [\"https://exam.example.org/x\"]"),
            "with no path",
        ),
        (
            "origin without scheme",
            over("[network]\nallowed_origins = [\"exam.example.org\"]"),
            "it has no scheme",
        ),
        (
            "origin with a bad port",
            over("[network]\nallowed_origins = [\"https://exam.example.org:99999\"]"),
            "the port is not a number",
        ),
        (
            "origin listed twice",
            over("[network]\nallowed_origins = [\"https://a.example\", \"https://a.example\"]"),
            "is listed twice",
        ),
        (
            "online-only exam without the network layer",
            over("[network]\nenabled = false\noffline_allowed = false"),
            "network.offline_allowed: is false",
        ),
        (
            "retention alert at zero days",
            over("[retention]\nalert_unsynced_after_days = 0"),
            "retention.alert_unsynced_after_days",
        ),
        (
            "min confidence unknown",
            over("[virtual_machine]\nmin_confidence = \"certain\""),
            "\"certain\" is not one of low, medium, high",
        ),
        (
            "wayland mode unknown",
            over("[keyboard]\nwayland = \"sometimes\""),
            "\"sometimes\" is not one of refuse, focus_only",
        ),
        (
            "control character in name",
            over("").replace("Test exam", "Test\\u0007exam"),
            "name: must be 1 to 120 printable",
        ),
        (
            "duplicate key",
            over("[face]\nenabled = true\nenabled = false"),
            "not valid TOML",
        ),
        ("oversize", "#".repeat(300 * 1024), "limited to 256 KiB"),
        (
            "proctor not a table",
            over("proctor = 1"),
            "proctor: must be a table",
        ),
        (
            "unknown proctor setting",
            over("[proctor]\nquit_password = \"x\""),
            "proctor.quit_password: unknown setting",
        ),
        (
            "proctor code in clear",
            over("[proctor]\nunlock_code = \"PROC-TOR1-CODE\""),
            "proctor.unlock_code: must be an Argon2id hash",
        ),
        (
            "proctor code hashed too cheaply",
            over(
                "[proctor]\nunlock_code = \"$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\"",
            ),
            "m (memory in KiB) is 1024",
        ),
        (
            "a free resume window without resume_needs_code",
            over("[proctor]\nresume_free_minutes = 5"),
            "proctor.resume_free_minutes: has no effect unless resume_needs_code",
        ),
        (
            "a free resume window of days",
            over("[proctor]\nresume_free_minutes = 2000"),
            "proctor.resume_free_minutes: must be a whole number from 0 to 240",
        ),
        (
            "resume needs a code the policy does not give",
            over("[proctor]\nresume_needs_code = true"),
            "proctor.resume_needs_code: is true, but the policy gives no unlock_code",
        ),
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for (name, input, expected) in cases {
        let err = match parse(&input) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(expected),
            "{name}: the message\n{err}\ndoes not contain {expected:?}"
        );
    }
}

#[test]
fn a_proctor_section_is_optional_and_leaves_older_policies_hashes_alone() {
    let plain = parse(&over("")).unwrap();
    assert_eq!(plain.proctor, Default::default());
    assert!(
        !String::from_utf8(plain.canonical_json())
            .unwrap()
            .contains("proctor")
    );
    let code = "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$FxpfPW9cXUKGYE+/5SYf9Gpvp4KL3z8Q10yFw9dvvoY";
    let with = parse(&over(&format!(
        "[proctor]\nunlock_code = {code:?}\nresume_needs_code = true"
    )))
    .unwrap();
    assert_eq!(with.proctor.unlock_code.as_deref(), Some(code));
    assert!(with.proctor.resume_needs_code);
    assert_ne!(with.canonical_json(), plain.canonical_json());
    assert_eq!(with.proctor.resume_free_minutes, 0);
    let grace = parse(&over(&format!(
        "[proctor]\nunlock_code = {code:?}\nresume_needs_code = true\nresume_free_minutes = 10"
    )))
    .unwrap();
    assert_eq!(grace.proctor.resume_free_minutes, 10);
    assert_ne!(grace.canonical_json(), with.canonical_json());
}

#[test]
fn every_problem_is_reported_at_once() {
    let input = over(
        "[face]\nsmile = true\nno_face = { after_seconds = 0 }\n[displays]\nmax = 0\n[network]\nallowed_origins = [\"ftp://x\"]",
    );
    let Err(PolicyError::Invalid(problems)) = parse(&input) else {
        panic!("accepted")
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "face.smile",
        "face.no_face.after_seconds",
        "displays.max",
        "network.allowed_origins[0]",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
}

#[test]
fn bad_envelopes_are_refused_with_the_problem_named() {
    let key = NoteSigner::generate("tenant.example", SIG_TYPE_ED25519).unwrap();
    let other = NoteSigner::generate("tenant.example", SIG_TYPE_ED25519).unwrap();
    let good = Envelope::sign(POLICY_TYPE, standard().into_bytes(), &key).to_json();
    let trusted = [key.verifier()];
    let alter = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "not json",
            "not json".into(),
            "not a signed Paraakh artefact",
        ),
        ("empty", String::new(), "not a signed Paraakh artefact"),
        (
            "unsigned",
            alter(&|v| v["signatures"] = serde_json::json!([])),
            "it carries no signature",
        ),
        (
            "unknown field",
            alter(&|v| v["extra"] = serde_json::json!(1)),
            "unknown field",
        ),
        (
            "payload not base64",
            alter(&|v| v["payload"] = serde_json::json!("***")),
            "the payload is not valid base64",
        ),
        (
            "signature not base64",
            alter(&|v| v["signatures"][0]["sig"] = serde_json::json!("!!")),
            "the signature is not valid base64",
        ),
        (
            "altered payload",
            alter(&|v| {
                let p = v["payload"].as_str().unwrap().to_owned();
                let mut bytes = base64_decode(&p);
                bytes[40] ^= 1;
                v["payload"] = serde_json::json!(base64_encode(&bytes));
            }),
            "the file was altered after it was signed",
        ),
        (
            "altered signature",
            alter(&|v| {
                let mut sig = base64_decode(v["signatures"][0]["sig"].as_str().unwrap());
                sig[0] ^= 1;
                v["signatures"][0]["sig"] = serde_json::json!(base64_encode(&sig));
            }),
            "the file was altered after it was signed",
        ),
        (
            "signed by an untrusted key",
            Envelope::sign(POLICY_TYPE, b"x".to_vec(), &other).to_json(),
            "does not trust",
        ),
        (
            "keyid renamed to a trusted one",
            alter(&|v| v["signatures"][0]["keyid"] = serde_json::json!("someone-else+00000000")),
            "does not trust",
        ),
        (
            "type swapped to an exam package",
            alter(&|v| v["payloadType"] = serde_json::json!(EXAM_TYPE)),
            "signed \"application/vnd.paraakh.exam+json\"",
        ),
        (
            "a signed exam where a policy is expected",
            Envelope::sign(EXAM_TYPE, b"{}".to_vec(), &key).to_json(),
            "but a \"application/vnd.paraakh.policy+toml\" was expected",
        ),
        (
            "too many signatures",
            alter(&|v| {
                let s = v["signatures"][0].clone();
                v["signatures"] = serde_json::Value::Array(vec![s; 17]);
            }),
            "too many signatures",
        ),
        ("oversize", " ".repeat(65 << 20), "limited to 64 MiB"),
    ];
    for (name, input, expected) in cases {
        let result = Envelope::parse(input.as_bytes())
            .and_then(|env| env.verify(POLICY_TYPE, &trusted).map(|_| ()));
        let err = match result {
            Ok(()) => panic!("{name}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(expected),
            "{name}: the message\n{err}\ndoes not contain {expected:?}"
        );
    }
}

#[test]
fn a_relabelled_artefact_fails_its_signature_under_the_new_type() {
    // The signature covers the payload type (DSSE PAE): a signed policy cannot pass as an exam package.
    let key = NoteSigner::generate("tenant.example", SIG_TYPE_ED25519).unwrap();
    let mut env = Envelope::sign(POLICY_TYPE, b"x".to_vec(), &key);
    env.payload_type = EXAM_TYPE.to_owned();
    let err = env.verify(EXAM_TYPE, &[key.verifier()]).unwrap_err();
    assert!(
        err.to_string().contains("altered after it was signed"),
        "{err}"
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
