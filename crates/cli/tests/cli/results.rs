//! Results on stdout, one JSON document with `--json`; refusals ("not
//! signed", "not packaged") on stderr with exit 1, as docs/cli.md says, for
//! the subcommands that gained `--json`.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::{json, p, paraakh, repo_file, stderr};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn key_set(tmp: &Path) -> PathBuf {
    let keys = tmp.join("keys");
    let out = paraakh(&["keys", "generate", "--out", p(&keys)]);
    assert!(out.status.success(), "{}", stderr(&out));
    keys
}

/// The physics demo exam, its policy signed with `keys`.
fn exam_dir(tmp: &Path, keys: &Path) -> PathBuf {
    let dir = tmp.join("exam");
    std::fs::create_dir(&dir).unwrap();
    for f in ["exam.toml", "policy.toml"] {
        std::fs::copy(
            repo_file(&format!("examples/exams/physics-demo/{f}")),
            dir.join(f),
        )
        .unwrap();
    }
    let out = paraakh(&[
        "sign",
        "policy",
        p(&dir.join("policy.toml")),
        "--key",
        p(&keys.join("signing.key")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["out"], p(&dir.join("policy.toml.signed")));
    assert_eq!(doc["sha256"].as_str().unwrap().len(), 64);
    assert!(
        doc["signed_by"]
            .as_str()
            .unwrap()
            .starts_with("tenant.paraakh.example+")
    );
    dir
}

#[test]
fn sign_exam_json_gives_the_start_code_that_unlocks_the_package() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = key_set(tmp.path());
    let dir = exam_dir(tmp.path(), &keys);
    let package = tmp.path().join("physics.paraakh-exam");
    let (signing, encryption) = (keys.join("signing.key"), keys.join("encryption.pub"));
    let sign = |json: bool, out: &Path| {
        let mut args = vec![
            "sign",
            "exam",
            p(&dir),
            "--key",
            p(&signing),
            "--encryption-key",
            p(&encryption),
            "--start-code",
            "generate",
            "--out",
            p(out),
        ];
        if json {
            args.push("--json");
        }
        paraakh(&args)
    };
    let out = sign(true, &package);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["package"], p(&package));
    assert_eq!(doc["exam_id"], "physics-demo");
    assert_eq!(doc["questions"], 4);
    let key_file = PathBuf::from(doc["content_key_file"].as_str().unwrap());
    assert!(key_file.exists());
    let code = doc["start_code"].as_str().unwrap();

    let open = paraakh(&[
        "exam",
        "show",
        p(&package),
        "--trust",
        p(&keys.join("signing.pub")),
        "--tenant",
        "demo-tenant",
        "--start-code",
        code,
        "--now",
        "1790000000",
        "--json",
    ]);
    assert_eq!(open.status.code(), Some(0), "{}", stdout(&open));
    let shown = json(&open);
    assert_eq!(shown["valid"], true);
    assert_eq!(shown["content"]["questions"].as_array().unwrap().len(), 4);

    // The human form still says it in words (the app's end-to-end test reads it).
    let human = sign(false, &tmp.path().join("again.paraakh-exam"));
    assert!(
        stdout(&human).contains("Start code for the proctor to read out at the start: "),
        "{}",
        stdout(&human)
    );

    // Another tenant: the verdict is the result, JSON on stdout, exit 1.
    let other = paraakh(&[
        "exam",
        "show",
        p(&package),
        "--trust",
        p(&keys.join("signing.pub")),
        "--tenant",
        "elsewhere",
        "--json",
    ]);
    assert_eq!(other.status.code(), Some(1));
    let verdict = json(&other);
    assert_eq!(verdict["valid"], false);
    assert!(!verdict["error"].as_str().unwrap().is_empty());
}

#[test]
fn a_refused_signature_or_package_says_why_on_stderr_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = key_set(tmp.path());
    let signing = keys.join("signing.key");

    // An invalid policy: not signed.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "preset = \"standard\"\nname = \"x\"\n[face]\nsmile = true\n",
    )
    .unwrap();
    let out = paraakh(&["sign", "policy", p(&bad), "--key", p(&signing)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "", "a refusal is not a result");
    assert!(
        stderr(&out).contains("paraakh: not signed: "),
        "{}",
        stderr(&out)
    );
    let out = paraakh(&["sign", "policy", p(&bad), "--key", p(&signing), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["problems"][0]["path"], "face.smile");
    assert!(!tmp.path().join("bad.toml.signed").exists());

    // A launch file that is not TOML: not signed.
    let launch = tmp.path().join("launch.toml");
    std::fs::write(&launch, "package = \n").unwrap();
    let out = paraakh(&["sign", "launch", p(&launch), "--key", p(&signing)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("not signed: "), "{}", stderr(&out));
    std::fs::write(&launch, "package = \"physics.paraakh-exam\"\n").unwrap();
    let out = paraakh(&["sign", "launch", p(&launch), "--key", p(&signing), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["valid"], true);
    assert!(
        doc["centre_key"]
            .as_str()
            .unwrap()
            .starts_with("tenant.paraakh.example+")
    );
    assert!(Path::new(doc["out"].as_str().unwrap()).exists());

    // An exam that cannot be taken in its window: not packaged.
    let dir = exam_dir(tmp.path(), &keys);
    let exam = std::fs::read_to_string(dir.join("exam.toml"))
        .unwrap()
        .replace("duration_minutes = 30", "duration_minutes = 0");
    std::fs::write(dir.join("exam.toml"), exam).unwrap();
    let encryption = keys.join("encryption.pub");
    let args = [
        "sign",
        "exam",
        p(&dir),
        "--key",
        p(&signing),
        "--encryption-key",
        p(&encryption),
    ];
    let out = paraakh(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("paraakh: not packaged: "),
        "{}",
        stderr(&out)
    );
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let out = paraakh(&with_json);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["valid"], false);
    assert!(
        doc["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("duration_minutes"),
        "{doc}"
    );
}

#[test]
fn keys_device_json_names_the_key_and_whether_it_was_made() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("device.key");
    let out = paraakh(&["keys", "device", "--device-key", p(&file), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let made = json(&out);
    assert_eq!(made["created"], true);
    assert_eq!(made["device_key"], p(&file));
    let again = json(&paraakh(&[
        "keys",
        "device",
        "--device-key",
        p(&file),
        "--json",
    ]));
    assert_eq!(again["created"], false);
    assert_eq!(again["public_key"], made["public_key"]);
    let human = paraakh(&["keys", "device", "--device-key", p(&file)]);
    assert_eq!(stdout(&human).trim(), made["public_key"].as_str().unwrap());
}

#[cfg(all(feature = "sync", feature = "ingest"))]
#[test]
fn every_ingest_subcommand_answers_in_json() {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("backend");
    let (keys, package) = super::join::package(tmp.path(), "physics", "2020-01-01T00:00:00Z");
    let run = |args: &[&str]| {
        let out = paraakh(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        json(&out)
    };
    let d = p(&data);

    let init = run(&[
        "ingest",
        "init",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--encryption-key",
        p(&keys.join("encryption.pub")),
        "--json",
    ]);
    assert_eq!(init["tenants"][0], "acme");
    let vkey = std::fs::read_to_string(init["backend_key_file"].as_str().unwrap()).unwrap();
    assert_eq!(vkey.trim(), init["backend_key"].as_str().unwrap());

    // Tokens: the tokens themselves, or where they are.
    let tokens = run(&[
        "ingest",
        "token",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--session-id",
        "s1",
        "--exam",
        "physics",
        "--json",
    ]);
    assert!(tokens["access_token"].as_str().is_some());
    let file = tmp.path().join("tokens.json");
    let out = paraakh(&[
        "ingest",
        "token",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--session-id",
        "s2",
        "--exam",
        "physics",
        "--access-ttl",
        "10m",
        "--refresh-ttl",
        "2d",
        "--out",
        p(&file),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("access_token"), "a secret on stdout");
    let written = json(&out);
    assert_eq!(written["out"], p(&file));
    assert_eq!(written["expires_in"], 600);
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(stored["access_token"].as_str().is_some());

    let exam = run(&[
        "ingest",
        "exam",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--package",
        p(&package),
        "--signing-key",
        p(&keys.join("signing.pub")),
        "--json",
    ]);
    assert_eq!(exam["exam_id"], "physics");
    assert!(exam["questions_from"].as_i64().unwrap() <= exam["opens_at"].as_i64().unwrap());

    let link = run(&[
        "ingest",
        "link",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--exam",
        "physics",
        "--valid",
        "1d",
        "--json",
    ]);
    let token_id = link["token_id"].as_str().unwrap();
    let revoked = run(&[
        "ingest",
        "revoke",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--token-id",
        token_id,
        "--json",
    ]);
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["session_id"], serde_json::Value::Null);

    let trust = run(&[
        "ingest",
        "trust",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--tenant-name",
        "Acme University",
        "--server",
        "https://exams.example.org",
        "--signing-key",
        p(&keys.join("signing.pub")),
        "--json",
    ]);
    let config = trust["config"].as_str().unwrap();
    assert!(
        config.starts_with("[tenants.acme]\nname = \"Acme University\"\n"),
        "{config}"
    );
    assert!(
        config.contains("backend_url = \"https://exams.example.org\""),
        "{config}"
    );
    config.parse::<toml::Table>().unwrap();

    // Nothing to export: an error, and nothing on stdout.
    let out = paraakh(&[
        "ingest",
        "export",
        "--data-dir",
        d,
        "--tenant",
        "acme",
        "--session-id",
        "never",
        "--out",
        p(&tmp.path().join("copy")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");

    // serve --json: one line as soon as it listens.
    let mut child = Command::new(super::BIN)
        .args([
            "ingest",
            "serve",
            "--data-dir",
            d,
            "--listen",
            "127.0.0.1:0",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let doc: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = doc["url"].as_str().unwrap();
    assert_eq!(url, format!("http://{}", doc["listen"].as_str().unwrap()));
    assert!(!url.ends_with(":0"), "{url}");
}

/// `paraakh review` and its subcommands: the report's exit codes, a
/// reviewer key made once, decisions refused with a reason and nothing
/// added, and `verify` counting only the reviewers it is told to trust.
#[test]
fn review_makes_the_report_and_decisions_are_signed_refused_or_untrusted_as_docs_say() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (keys, session) = super::setup(t);
    let tenant = keys.join("encryption.key");
    let backend = keys.join("backend.pub");
    let page = t.join("report.html");
    // Nowhere to put it: a usage error that says what to add.
    let out = paraakh(&["review", p(&session), "--tenant-key", p(&tenant)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--out report.html, or --json"),
        "{}",
        stderr(&out)
    );
    // The public key cannot decrypt: said so.
    let out = paraakh(&[
        "review",
        p(&session),
        "--tenant-key",
        p(&keys.join("encryption.pub")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("decrypting needs the secret encryption.key"),
        "{}",
        stderr(&out)
    );
    let out = paraakh(&[
        "review",
        p(&session),
        "--tenant-key",
        p(&tenant),
        "--backend-key",
        p(&backend),
        "--accept-machine-attested",
        "--out",
        p(&page),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .starts_with("<!doctype html>")
    );
    let event = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["severity"] != "info")
        .unwrap()["seq"]
        .as_u64()
        .unwrap()
        .to_string();

    let alice = t.join("alice.key");
    let make = [
        "review",
        "key",
        "--name",
        "alice@acme.example",
        "--out",
        p(&alice),
        "--json",
    ];
    let out = paraakh(&make);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        json(&out)["public_key"]
            .as_str()
            .unwrap()
            .starts_with("alice@acme.example+")
    );
    let out = paraakh(&make);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("never overwritten"),
        "{}",
        stderr(&out)
    );

    // Record 0 is the header, not an event: refused, nothing written.
    let decide = |seq: &str, key: &Path| {
        paraakh(&[
            "review",
            "decide",
            p(&session),
            "--event",
            seq,
            "--verdict",
            "second-review",
            "--note",
            "look again",
            "--key",
            p(key),
            "--json",
        ])
    };
    let out = decide("0", &alice);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("record 0 is a header record, not an event"),
        "{}",
        stderr(&out)
    );
    assert!(!session.join("review").exists());
    // A public key is not a key to sign with.
    let out = decide(&event, &t.join("alice.key.pub"));
    assert_eq!(out.status.code(), Some(2));
    let out = decide(&event, &alice);
    assert!(out.status.success(), "{}", stderr(&out));
    let d = json(&out);
    assert_eq!(
        (d["position"].as_u64(), d["verdict"].as_str()),
        (Some(0), Some("second_review"))
    );

    // Trusted: intact. Another reviewer's key trusted instead: a finding, exit 1.
    let verify = |trusted: &Path| {
        paraakh(&[
            "verify",
            p(&session),
            "--backend-key",
            p(&backend),
            "--accept-machine-attested",
            "--reviewer-key",
            p(trusted),
            "--json",
        ])
    };
    let out = verify(&t.join("alice.key.pub"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out)["review"]["decisions"][0]["reviewer_pinned"],
        true
    );
    let bob = t.join("bob.key");
    let out = paraakh(&[
        "review",
        "key",
        "--name",
        "bob@acme.example",
        "--out",
        p(&bob),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = verify(&t.join("bob.key.pub"));
    assert_eq!(out.status.code(), Some(1));
    let kinds: Vec<_> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].clone())
        .collect();
    assert!(
        kinds.contains(&serde_json::json!("untrusted_reviewer")),
        "{kinds:?}"
    );
}
