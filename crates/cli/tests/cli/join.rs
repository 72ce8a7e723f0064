//! Joining by link against `paraakh ingest serve` over HTTP: the tenant adds
//! an exam and issues links; a link joins one computer (asking again from it
//! finds the same session, another computer is refused); the session's token
//! gets the content key from the exam's opening and not before; revoked
//! links and tokens of the wrong kind are refused with their reason.

use std::path::{Path, PathBuf};

use super::sync::Backend;
use super::{json, p, paraakh, repo_file, stderr};

/// The physics demo for tenant `acme`, open from `opens_at`, sealed for the
/// backend only (no start code). Returns (keys, package).
pub(super) fn package(tmp: &Path, name: &str, opens_at: &str) -> (PathBuf, PathBuf) {
    let keys = super::sync::tenant_keys(tmp);
    let dir = tmp.join(name);
    std::fs::create_dir(&dir).unwrap();
    let exam = std::fs::read_to_string(repo_file("examples/exams/physics-demo/exam.toml"))
        .unwrap()
        .replace("tenant = \"demo-tenant\"", "tenant = \"acme\"")
        .replace("id = \"physics-demo\"", &format!("id = \"{name}\""))
        .replace(
            "opens_at = \"2026-01-01T00:00:00Z\"",
            &format!("opens_at = \"{opens_at}\""),
        )
        .replace(
            "closes_at = \"2027-12-31T23:59:00Z\"",
            "closes_at = \"2099-12-31T23:59:00Z\"",
        );
    std::fs::write(dir.join("exam.toml"), exam).unwrap();
    std::fs::copy(
        repo_file("examples/exams/physics-demo/policy.toml"),
        dir.join("policy.toml"),
    )
    .unwrap();
    let signing = keys.join("signing.key");
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
    let out = tmp.join(format!("{name}.paraakh-exam"));
    let signed = paraakh(&[
        "sign",
        "exam",
        p(&dir),
        "--key",
        p(&signing),
        "--encryption-key",
        p(&keys.join("encryption.pub")),
        "--out",
        p(&out),
    ]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    (keys, out)
}

/// `paraakh ingest exam` for tenant `acme`, with an explicit content key file or the package's own.
pub(super) fn add_exam(
    data: &Path,
    pkg: &Path,
    signing: &Path,
    key: Option<&Path>,
) -> std::process::Output {
    let mut args = vec![
        "ingest",
        "exam",
        "--data",
        p(data),
        "--tenant",
        "acme",
        "--package",
        p(pkg),
        "--signing-key",
        p(signing),
    ];
    if let Some(k) = key {
        args.extend(["--content-key", p(k)]);
    }
    paraakh(&args)
}

pub(super) fn link(data: &Path, exam: &str) -> (String, String) {
    let out = paraakh(&[
        "ingest",
        "link",
        "--data",
        p(data),
        "--tenant",
        "acme",
        "--exam",
        exam,
        "--candidate",
        "cand-7",
        "--valid",
        "2h",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    let link = doc["link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with("paraakh://join?tenant=acme&token="),
        "{link}"
    );
    let token = link.rsplit("token=").next().unwrap().to_owned();
    (token, doc["token_id"].as_str().unwrap().to_owned())
}

pub(super) fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}

/// POST /v1/join: (status, body).
pub(super) fn join(url: &str, bearer: &str, device_key: &str) -> (u16, serde_json::Value) {
    let r = client()
        .post(format!("{url}/v1/join"))
        .bearer_auth(bearer)
        .json(&serde_json::json!({ "device_key": device_key }))
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap())
}

pub(super) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

#[test]
fn a_link_joins_one_computer_and_its_session_gets_the_questions_from_the_opening() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);
    let url = backend.url();
    let (keys, pkg) = package(tmp.path(), "physics-open", "2026-01-01T00:00:00Z");

    // A package is added only with its tenant's signing key and its own content key.
    let other = tmp.path().join("other-keys");
    assert!(
        paraakh(&["keys", "generate", "--out", p(&other)])
            .status
            .success()
    );
    let refused = add_exam(&data, &pkg, &other.join("signing.pub"), None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("the exam package is refused"),
        "{}",
        stderr(&refused)
    );
    let wrong_key = tmp.path().join("wrong.content-key");
    std::fs::write(&wrong_key, format!("{}\n", "ab".repeat(32))).unwrap();
    let refused = add_exam(&data, &pkg, &keys.join("signing.pub"), Some(&wrong_key));
    assert!(
        stderr(&refused).contains("the content key does not open"),
        "{}",
        stderr(&refused)
    );
    let added = add_exam(&data, &pkg, &keys.join("signing.pub"), None);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(String::from_utf8_lossy(&added.stdout).contains("Added exam"));

    // One computer joins; asking again finds the same session; another is refused.
    let (token, _) = link(&data, "physics-open");
    let device_a = read(&keys.join("signing.pub"));
    let device_b = read(&other.join("signing.pub"));
    let (status, first) = join(&url, &token, &device_a);
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["exam_id"], "physics-open");
    assert_eq!(first["tenant_id"], "acme");
    let session = first["session_id"].as_str().unwrap();
    let package_b64 = first["package"].as_str().unwrap();
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(package_b64)
            .unwrap(),
        std::fs::read(&pkg).unwrap(),
        "the package is handed out as added"
    );
    let (status, again) = join(&url, &token, &device_a);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["session_id"], session);
    let (status, elsewhere) = join(&url, &token, &device_b);
    assert_eq!(status, 409, "{elsewhere}");
    assert!(
        elsewhere["message"]
            .as_str()
            .unwrap()
            .contains("another computer")
    );

    // The session's token gets the content key; the link token uploads nothing.
    let access = first["tokens"]["access_token"].as_str().unwrap();
    let key = client()
        .post(format!("{url}/v1/sessions/{session}/exam-key"))
        .bearer_auth(access)
        .send()
        .unwrap();
    assert_eq!(key.status().as_u16(), 200);
    let key: serde_json::Value = key.json().unwrap();
    let mut key_file = pkg.clone().into_os_string();
    key_file.push(".content-key");
    assert_eq!(key["content_key"], read(Path::new(&key_file)));
    let as_upload = client()
        .get(format!("{url}/v1/sessions/{session}"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(
        as_upload.status().as_u16(),
        401,
        "a link token is not an upload token"
    );
    let (status, as_link) = join(&url, access, &device_a);
    assert_eq!(status, 401, "{as_link}");
    assert!(
        as_link["message"]
            .as_str()
            .unwrap()
            .contains("the link is refused")
    );

    // A revoked link joins nothing.
    let (revoked, token_id) = link(&data, "physics-open");
    let out = paraakh(&[
        "ingest",
        "revoke",
        "--data",
        p(&data),
        "--tenant",
        "acme",
        "--token-id",
        &token_id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, body) = join(&url, &revoked, &device_a);
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "revoked");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("ask them for a new one")
    );

    // A link to an exam the server does not have says so.
    let (missing, _) = link(&data, "not-added");
    let (status, body) = join(&url, &missing, &device_a);
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("paraakh ingest exam")
    );
}

#[test]
fn before_the_opening_the_questions_are_withheld_with_a_time_to_ask_again() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);
    let (keys, pkg) = package(tmp.path(), "physics-later", "2099-01-01T09:00:00Z");
    let added = add_exam(&data, &pkg, &keys.join("signing.pub"), None);
    assert!(added.status.success(), "{}", stderr(&added));
    let (token, _) = link(&data, "physics-later");
    let (status, joined) = join(&backend.url(), &token, &read(&keys.join("signing.pub")));
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["opens_at"], 4_070_941_200_i64);
    assert_eq!(joined["key_from"], 4_070_941_200_i64 - 15 * 60);
    let session = joined["session_id"].as_str().unwrap();
    let early = client()
        .post(format!("{}/v1/sessions/{session}/exam-key", backend.url()))
        .bearer_auth(joined["tokens"]["access_token"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(early.status().as_u16(), 425);
    let retry: u64 = early.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = early.json().unwrap();
    assert_eq!(body["error"], "too_early");
    assert!(body["message"].as_str().unwrap().contains("not open yet"));
}

#[test]
fn the_trust_block_pins_the_backends_link_and_receipt_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("backend");
    assert!(
        paraakh(&["ingest", "init", "--data", p(&data), "--tenant", "acme"])
            .status
            .success()
    );
    let keys = tmp.path().join("keys");
    assert!(
        paraakh(&["keys", "generate", "--out", p(&keys)])
            .status
            .success()
    );
    let out = paraakh(&[
        "ingest",
        "trust",
        "--data",
        p(&data),
        "--tenant",
        "acme",
        "--name",
        "ACME \"Uni\"",
        "--url",
        "https://exams.acme.example",
        "--signing-key",
        p(&keys.join("signing.pub")),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let acme = &doc["tenants"]["acme"];
    assert_eq!(acme["name"].as_str(), Some("ACME \"Uni\""));
    assert_eq!(
        acme["backend_key"].as_str().unwrap(),
        read(&data.join("backend.pub"))
    );
    assert_eq!(
        acme["signing_keys"][0].as_str().unwrap(),
        read(&keys.join("signing.pub"))
    );
    assert_eq!(acme["audience"].as_str(), Some("paraakh-client"));
    let jwk = &acme["jwt_keys"][0];
    assert_eq!(jwk["kid"].as_str(), Some("acme-1"));
    assert_eq!(jwk["jwk"]["crv"].as_str(), Some("Ed25519"));
    let missing = paraakh(&["ingest", "trust", "--data", p(&data), "--tenant", "nobody"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("paraakh ingest init --tenant nobody"));
}
