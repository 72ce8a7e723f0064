//! Exam packages: signed, locked until the start, unlocked by a start code
//! or the backend's key, verified on download and at the start.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use paraakh_keys::{NoteSigner, SIG_TYPE_ED25519, TenantSecretKey};
use paraakh_policy::envelope::{Envelope, POLICY_TYPE};
use paraakh_policy::exam::{
    ExamError, ExamPackage, ExamSource, Packaged, normalize_code, sign_exam,
};

/// RFC 9106 §5.3: the Argon2id test vector, for the KDF that stretches start codes.
#[test]
fn argon2id_matches_rfc_9106() {
    let params = argon2::ParamsBuilder::new()
        .m_cost(32)
        .t_cost(3)
        .p_cost(4)
        .data(argon2::AssociatedData::new(&[4u8; 12]).unwrap())
        .output_len(32)
        .build()
        .unwrap();
    let a = argon2::Argon2::new_with_secret(
        &[3u8; 8],
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    )
    .unwrap();
    let mut out = [0u8; 32];
    a.hash_password_into(&[1u8; 32], &[2u8; 16], &mut out)
        .unwrap();
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
    );
}

const OPENS: i64 = 1_796_893_200; // 2026-12-10T09:00:00Z

fn source() -> ExamSource {
    toml::from_str(
        r#"
id = "physics-101-final"
tenant = "acme"
title = "Physics 101 final"
opens_at = "2026-12-10T09:00:00Z"
closes_at = "2026-12-10T12:00:00Z"
duration_minutes = 90
policy = "policy.toml.signed"
instructions = "Answer every question. Calculators are not allowed."

[[questions]]
id = "q1"
kind = "single_choice"
prompt = "What is the SI unit of force?"
points = 1
choices = ["joule", "newton", "watt"]

[[questions]]
id = "q2"
kind = "multiple_choice"
prompt = "Which are vectors?"
points = 2
choices = ["velocity", "mass", "force"]

[[questions]]
id = "q3"
kind = "short_text"
prompt = "State Newton's second law."
points = 2
max_chars = 200

[[questions]]
id = "q4"
kind = "essay"
prompt = "Explain conservation of momentum with an example."
points = 5
max_words = 500

[[accommodations]]
candidate = "candidate-42"
extra_time_percent = 25
"#,
    )
    .unwrap()
}

struct Fixture {
    key: NoteSigner,
    evidence: TenantSecretKey,
    policy: Vec<u8>,
}

fn fixture() -> Fixture {
    let key = NoteSigner::generate("acme.example", SIG_TYPE_ED25519).unwrap();
    let policy = Envelope::sign(
        POLICY_TYPE,
        b"preset = \"standard\"\nname = \"Physics final\"\n".to_vec(),
        &key,
    )
    .to_json()
    .into_bytes();
    Fixture {
        key,
        evidence: TenantSecretKey::generate("acme.example").unwrap(),
        policy,
    }
}

fn package(f: &Fixture, code: Option<Option<String>>) -> Packaged {
    sign_exam(&source(), &f.policy, &f.evidence.public(), &f.key, code).unwrap()
}

#[test]
fn a_package_unlocks_with_the_start_code_at_the_start_and_not_before() {
    let f = fixture();
    let p = package(&f, Some(Some("7KQ4-M2XD-9PWA".into())));
    let pkg = ExamPackage::verify(&p.package, &[f.key.verifier()], "acme").unwrap();
    assert_eq!(pkg.manifest.duration_minutes, 90);
    assert_eq!(pkg.policy.name, "Physics final");
    assert_eq!(pkg.evidence_key, f.evidence.public());

    let content = pkg.unlock_with_code("7kq4 m2xd 9pwa", OPENS).unwrap();
    assert_eq!(content.questions.len(), 4);
    assert_eq!(content.accommodations[0].extra_time_percent, 25);

    assert!(matches!(
        pkg.unlock_with_code("7KQ4-M2XD-9PWB", OPENS),
        Err(ExamError::WrongCode)
    ));
    let early = pkg
        .unlock_with_code("7KQ4-M2XD-9PWA", OPENS - 3600)
        .unwrap_err();
    assert!(
        early.to_string().contains("opens at 2026-12-10T09:00:00Z"),
        "{early}"
    );
    let late = pkg
        .unlock_with_code("7KQ4-M2XD-9PWA", OPENS + 4 * 3600)
        .unwrap_err();
    assert!(late.to_string().contains("closed at"), "{late}");
}

#[test]
fn a_package_unlocks_with_the_backends_key() {
    let f = fixture();
    let p = package(&f, None);
    assert!(p.start_code.is_none());
    let pkg = ExamPackage::verify(&p.package, &[f.key.verifier()], "acme").unwrap();
    assert_eq!(
        pkg.unlock_with_key(&p.content_key, OPENS)
            .unwrap()
            .questions[0]
            .id,
        "q1"
    );
    assert!(matches!(
        pkg.unlock_with_key(&[9; 32], OPENS),
        Err(ExamError::WrongKey)
    ));
    assert!(matches!(
        pkg.unlock_with_code("AAAA-BBBB-CCCC", OPENS),
        Err(ExamError::NoUnlock(_))
    ));
}

#[test]
fn a_generated_start_code_is_readable_and_works() {
    let f = fixture();
    let p = package(&f, Some(None));
    let code = p.start_code.clone().unwrap();
    assert_eq!(code.len(), 14, "{code}");
    assert_eq!(normalize_code(&code).len(), 12);
    let pkg = ExamPackage::verify(&p.package, &[f.key.verifier()], "acme").unwrap();
    assert!(pkg.unlock_with_code(&code.to_lowercase(), OPENS).is_ok());
}

#[test]
fn packages_are_refused_when_altered_untrusted_or_for_another_tenant() {
    let f = fixture();
    let p = package(&f, Some(Some("7KQ4-M2XD-9PWA".into())));
    let stranger = NoteSigner::generate("acme.example", SIG_TYPE_ED25519).unwrap();
    let untrusted = ExamPackage::verify(&p.package, &[stranger.verifier()], "acme").unwrap_err();
    assert!(
        untrusted.to_string().contains("does not trust"),
        "{untrusted}"
    );
    let other = ExamPackage::verify(&p.package, &[f.key.verifier()], "other").unwrap_err();
    assert!(
        other.to_string().contains("the package is for \"acme\""),
        "{other}"
    );
    let mut altered: serde_json::Value = serde_json::from_slice(&p.package).unwrap();
    let payload = altered["payload"].as_str().unwrap().replace('A', "B");
    altered["payload"] = payload.into();
    let err = ExamPackage::verify(altered.to_string().as_bytes(), &[f.key.verifier()], "acme")
        .unwrap_err();
    assert!(err.to_string().contains("altered"), "{err}");
}

#[test]
fn an_exam_with_problems_is_not_packaged_and_every_problem_is_named() {
    let f = fixture();
    let mut s = source();
    s.closes_at = "2026-12-10T09:30:00Z".into();
    s.questions[0].choices = Some(vec!["only".into()]);
    s.questions[1].id = "q1".into();
    s.questions[2].kind = "drawing".into();
    s.questions[3].max_words = None;
    s.accommodations[0].extra_time_percent = 0;
    let err = sign_exam(&s, &f.policy, &f.evidence.public(), &f.key, None)
        .unwrap_err()
        .to_string();
    for expect in [
        "must hold the 90 minutes",
        "needs at least two choices",
        "the id is used twice",
        "kind \"drawing\" is not one of",
        "an essay has max_words",
        "extra_time_percent must be 1 to 300",
    ] {
        assert!(err.contains(expect), "{expect:?} missing from:\n{err}");
    }
    // A policy signed by another key is refused before anything is packaged.
    let stranger = NoteSigner::generate("acme.example", SIG_TYPE_ED25519).unwrap();
    let foreign = Envelope::sign(
        POLICY_TYPE,
        b"preset = \"standard\"\nname = \"x\"\n".to_vec(),
        &stranger,
    )
    .to_json()
    .into_bytes();
    let err = sign_exam(&source(), &foreign, &f.evidence.public(), &f.key, None).unwrap_err();
    assert!(err.to_string().contains("does not trust"), "{err}");
    // Unknown settings in the authored file are errors.
    assert!(toml::from_str::<ExamSource>("id = \"x\"\ncolour = 1").is_err());
}

fn online_policy(key: &NoteSigner, origins: &str) -> Vec<u8> {
    let text = format!(
        "preset = \"standard\"\nname = \"Online quiz\"\n\n[network]\nallowed_origins = [{origins}]\n"
    );
    Envelope::sign(POLICY_TYPE, text.into_bytes(), key)
        .to_json()
        .into_bytes()
}

fn online_source(start: &str, finish: &str) -> ExamSource {
    let mut s = source();
    s.questions.clear();
    s.online = Some(paraakh_policy::exam::OnlineExam {
        start_url: start.into(),
        finish_url: finish.into(),
    });
    s
}

#[test]
fn an_online_exam_is_packaged_only_with_pages_on_its_allowed_origins() {
    let f = fixture();
    let policy = online_policy(&f.key, "\"https://quiz.acme.example\"");
    let ok = online_source(
        "https://quiz.acme.example/exam/77",
        "https://quiz.acme.example/exam/77/done",
    );
    let p = sign_exam(&ok, &policy, &f.evidence.public(), &f.key, None).unwrap();
    let pkg = ExamPackage::verify(&p.package, &[f.key.verifier()], "acme").unwrap();
    let content = pkg.unlock_with_key(&p.content_key, OPENS).unwrap();
    assert!(content.questions.is_empty());
    assert_eq!(
        content.online.unwrap().finish_url,
        "https://quiz.acme.example/exam/77/done"
    );

    let elsewhere = online_source("https://evil.example/exam", "javascript:done()");
    let Err(ExamError::Invalid(problems)) =
        sign_exam(&elsewhere, &policy, &f.evidence.public(), &f.key, None)
    else {
        panic!("an online exam off its allowed origins was packaged");
    };
    assert!(
        problems.iter().any(|p| p.contains("online.start_url")
            && p.contains("not on the policy's network.allowed_origins")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("online.finish_url") && p.contains("not an http(s) URL")),
        "{problems:?}"
    );

    // The questions of an online exam are on its pages, not in the package.
    let mut both = ok.clone();
    both.questions = source().questions;
    let Err(ExamError::Invalid(problems)) =
        sign_exam(&both, &policy, &f.evidence.public(), &f.key, None)
    else {
        panic!("an online exam with questions was packaged");
    };
    assert!(
        problems.iter().any(|p| p.contains("not in the package")),
        "{problems:?}"
    );

    // Without an online page an exam still needs questions.
    let mut empty = source();
    empty.questions.clear();
    let Err(ExamError::Invalid(problems)) =
        sign_exam(&empty, &f.policy, &f.evidence.public(), &f.key, None)
    else {
        panic!("an empty exam was packaged");
    };
    assert!(
        problems.iter().any(|p| p.contains("at least one question")),
        "{problems:?}"
    );
}
