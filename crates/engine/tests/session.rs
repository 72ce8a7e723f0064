//! The session loop in its own crate: start on replayed sources, the
//! environment record, answers under a burst (each save answered with its
//! own record), a break, the policy's auto-submission, an upload that
//! fails, and a resume after the process died.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use paraakh_engine::session::rules::Observation;
use paraakh_engine::session::{
    Command, CommandError, Environment, LaunchSource, Session, SessionConfig, SessionIdentity,
    Sources, UploadConfig, save_answer, submit,
};
use paraakh_evidence::frame::{FileKind, parse_all};
use paraakh_evidence::keys::{SIG_TYPE_ED25519, TenantSecretKey, load_or_create_signer};
use paraakh_evidence::merkle::sha256;
use paraakh_evidence::record::{ClientInfo, HexHash};
use paraakh_evidence::{Body, Record};

fn policy(preset: &str) -> paraakh_policy::Policy {
    paraakh_policy::parse(paraakh_policy::presets::text(preset).unwrap()).unwrap()
}

/// A session in `dir` on `preset`, with the given sources, nothing else
/// watched, no detection, offline.
fn config(dir: &Path, preset: &str, sources: Sources) -> SessionConfig {
    let who = SessionIdentity {
        tenant_id: "acme".into(),
        exam_id: "physics".into(),
        session_id: "s-engine".into(),
        tenant_key: TenantSecretKey::generate("acme.example").unwrap().public(),
        // Beside the session, so a resumed session finds the same computer's key.
        device: Arc::new(
            load_or_create_signer(
                &dir.with_extension("device.key"),
                "device.example",
                SIG_TYPE_ED25519,
            )
            .unwrap()
            .0,
        ),
        client: ClientInfo {
            version: "paraakh-engine tests".into(),
            build_sha256: HexHash([7; 32]),
        },
    };
    SessionConfig {
        checkpoint_every: Duration::from_secs(1),
        environment: Environment {
            launch: Some(LaunchSource::CommandLine),
            ..Environment::default()
        },
        ..SessionConfig::new(dir.to_owned(), policy(preset), who)
            .capturing(sources)
            .lockdown(false)
    }
}

fn records(dir: &Path) -> Vec<Record> {
    let (frames, _) = parse_all(&std::fs::read(dir.join("log")).unwrap(), FileKind::Log);
    frames
        .iter()
        .map(|f| Record::parse(&f.payload).unwrap())
        .collect()
}

fn events<'a>(records: &'a [Record], kind: &str) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| matches!(&r.body, Body::Event(e) if e.kind == kind))
        .collect()
}

/// The session's submission record.
fn submission(records: &[Record]) -> &paraakh_evidence::record::Submission {
    records
        .iter()
        .find_map(|r| match &r.body {
            Body::Submission(s) => Some(s),
            _ => None,
        })
        .expect("a submission")
}

/// Waits for the session to end and returns its summary.
fn finish(session: Session) -> paraakh_engine::session::SessionSummary {
    while !session.is_over() {
        session.next_event(Duration::from_millis(50));
    }
    session.wait().unwrap()
}

/// Images to replay as a webcam or a screen: two frames that differ.
fn replay_images(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for (i, shade) in [(1, 90u8), (2, 140u8)] {
        let img = image::RgbImage::from_fn(320, 240, |x, y| {
            image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
        });
        img.save(dir.join(format!("{i}.png"))).unwrap();
    }
    dir.to_owned()
}

#[test]
fn a_session_on_replayed_sources_records_its_environment_and_ends_sealed() {
    let tmp = tempfile::tempdir().unwrap();
    let images = replay_images(&tmp.path().join("images"));
    let sources = Sources::parse(
        Some(images.to_str().unwrap()),
        None,
        Some(images.to_str().unwrap()),
    );
    let mut config = config(&tmp.path().join("s"), "standard", sources);
    config.policy.voice.enabled = false;
    let dir = config.dir.clone();
    let session = Session::start(config).unwrap();
    let commands = session.commander();
    let seq = save_answer(&commands, "q1", b"\"B\"".to_vec()).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let submitted = submit(&commands).unwrap();
    assert_eq!(submitted.answers, 1);
    let summary = finish(session);
    assert!(summary.submitted);
    assert!(summary.camera_frames > 0, "{summary:?}");

    let recs = records(&dir);
    let env = events(&recs, "environment");
    assert_eq!(env.len(), 1);
    let Body::Event(e) = &env[0].body else {
        unreachable!()
    };
    let deviations = e.detail["deviations"].as_array().unwrap();
    for setting in ["camera source", "screen source", "processes", "displays"] {
        let d = deviations
            .iter()
            .find(|d| d["setting"] == setting)
            .unwrap_or_else(|| panic!("{setting}: {deviations:?}"));
        assert_eq!(d["set_by"], "the command line");
    }
    // The watches switched off are said, each with why.
    let unavailable: Vec<String> = events(&recs, "monitor_unavailable")
        .iter()
        .filter_map(|r| match &r.body {
            Body::Event(e) => e.detail["monitor"].as_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    assert!(
        unavailable.contains(&"processes".to_owned()),
        "{unavailable:?}"
    );
    assert!(
        unavailable.contains(&"displays".to_owned()),
        "{unavailable:?}"
    );
    // The submission names the save's record; the log ends sealed.
    let submission = submission(&recs);
    assert_eq!(submission.answers[0].answer_seq, seq);
    assert!(matches!(recs.last().unwrap().body, Body::End(_)));
}

/// 5,000 saves from four threads at once, as fast as they can send: each
/// is answered with its own record, which holds that very answer.
#[test]
fn a_burst_of_saves_is_never_lost_or_misattributed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let session = Session::start(config(&dir, "practice", Sources::default())).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let commands = session.commander();
            std::thread::spawn(move || {
                (0..1250)
                    .map(|i| {
                        let question = format!("t{t}-q{}", i % 10);
                        let answer = format!("\"answer {i} of thread {t}\"").into_bytes();
                        let seq = save_answer(&commands, &question, answer.clone()).unwrap();
                        (seq, question, answer)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let saved: Vec<(u64, String, Vec<u8>)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(saved.len(), 5000);
    let submitted = submit(&session.commander()).unwrap();
    assert_eq!(submitted.answers, 40);
    finish(session);

    let recs = records(&dir);
    let by_seq: BTreeMap<u64, &Record> = recs.iter().map(|r| (r.seq, r)).collect();
    let mut last = BTreeMap::new();
    for (seq, question, answer) in &saved {
        let Body::Answer(a) = &by_seq[seq].body else {
            panic!("record {seq} is not an answer");
        };
        assert_eq!(&a.question, question, "record {seq}");
        assert_eq!(a.plaintext_sha256.0, sha256(answer), "record {seq}");
        let l = last.entry(question.clone()).or_insert(0);
        *l = (*l).max(*seq);
    }
    assert_eq!(
        saved
            .iter()
            .map(|s| s.0)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        5000
    );
    let submission = submission(&recs);
    for a in &submission.answers {
        assert_eq!(a.answer_seq, last[&a.question], "{}", a.question);
    }
}

#[test]
fn a_refused_save_says_why_and_the_exam_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let session = Session::start(config(
        &tmp.path().join("s"),
        "practice",
        Sources::default(),
    ))
    .unwrap();
    let commands = session.commander();
    let e = save_answer(&commands, "", b"1".to_vec()).unwrap_err();
    assert!(matches!(e, CommandError::Refused(_)), "{e:?}");
    save_answer(&commands, "q1", b"1".to_vec()).unwrap();
    submit(&commands).unwrap();
    finish(session);
    // Once ended, a command is answered as such, never left waiting.
    assert_eq!(
        save_answer(&commands, "q1", b"2".to_vec()),
        Err(CommandError::Ended)
    );
}

#[test]
fn nothing_counts_during_an_allowed_break() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let session = Session::start(config(&dir, "standard", Sources::default())).unwrap();
    let commands = session.commander();
    commands
        .send(Command::Pause {
            reason: "toilet break".into(),
        })
        .unwrap();
    commands
        .send(Command::Report(Observation::FocusLost))
        .unwrap();
    commands.send(Command::Resume).unwrap();
    commands
        .send(Command::Report(Observation::FocusLost))
        .unwrap();
    submit(&commands).unwrap();
    finish(session);
    let recs = records(&dir);
    assert_eq!(events(&recs, "break_started").len(), 1);
    assert_eq!(events(&recs, "break_ended").len(), 1);
    let lost = events(&recs, "focus_lost");
    assert_eq!(lost.len(), 1, "only the one after the break");
    assert!(lost[0].seq > events(&recs, "break_ended")[0].seq);
}

/// `strict`: the second developer-tools attempt submits the exam.
#[test]
fn the_policy_submits_at_its_count_of_violations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let session = Session::start(config(&dir, "strict", Sources::default())).unwrap();
    let commands = session.commander();
    save_answer(&commands, "q1", b"1".to_vec()).unwrap();
    for _ in 0..2 {
        commands
            .send(Command::Report(Observation::DevtoolsAttempt))
            .unwrap();
    }
    let summary = finish(session);
    assert!(summary.submitted);
    assert_eq!(summary.reason, "auto_submitted");
    let recs = records(&dir);
    assert_eq!(events(&recs, "devtools_attempt").len(), 2);
    assert_eq!(events(&recs, "auto_submitted").len(), 1);
}

/// The backend cannot be reached: the session records it once, keeps
/// everything, and ends normally.
#[test]
fn an_upload_that_fails_is_recorded_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let tokens = tmp.path().join("tokens.json");
    std::fs::write(&tokens, "{}").unwrap();
    let mut config = config(&dir, "practice", Sources::default());
    // Nothing listens on port 9 of this machine.
    config.upload = Some(UploadConfig {
        server: "http://127.0.0.1:9".into(),
        tokens,
    });
    let session = Session::start(config).unwrap();
    let commands = session.commander();
    let seq = save_answer(&commands, "q1", b"1".to_vec()).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    submit(&commands).unwrap();
    let summary = finish(session);
    assert!(summary.upload_error.is_some(), "{summary:?}");
    let recs = records(&dir);
    assert_eq!(events(&recs, "statement_unavailable").len(), 1);
    assert_eq!(events(&recs, "upload_interrupted").len(), 1);
    assert!(matches!(recs[seq as usize].body, Body::Answer(_)));
}

/// The child half of the resume test: saves, then the process ends without
/// ending the session (as a kill or power cut would).
fn die_mid_exam(dir: &Path) -> ! {
    let session = Session::start(config(dir, "practice", Sources::default())).unwrap();
    save_answer(&session.commander(), "q1", b"\"before\"".to_vec()).unwrap();
    std::process::exit(0);
}

#[test]
fn a_session_whose_process_died_resumes_in_a_new_segment_with_its_answers() {
    if let Some(dir) = std::env::var_os("PARAAKH_ENGINE_TEST_DIE_IN") {
        die_mid_exam(Path::new(&dir));
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_session_whose_process_died_resumes_in_a_new_segment_with_its_answers",
            "--nocapture",
        ])
        .env("PARAAKH_ENGINE_TEST_DIE_IN", &dir)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(dir.join("log").exists());

    let session = Session::start(config(&dir, "practice", Sources::default())).unwrap();
    let commands = session.commander();
    save_answer(&commands, "q2", b"\"after\"".to_vec()).unwrap();
    let submitted = submit(&commands).unwrap();
    assert_eq!(
        submitted.answers, 2,
        "the answer from before the stop is in"
    );
    finish(session);
    let recs = records(&dir);
    assert_eq!(events(&recs, "session_resumed").len(), 1);
    assert!(
        recs.iter().any(|r| matches!(r.body, Body::Segment(_))),
        "a new segment"
    );
    // Each segment starts with its environment record.
    assert_eq!(events(&recs, "environment").len(), 2);
}
