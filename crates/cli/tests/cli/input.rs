//! Input that no hand made, through `paraakh session run` on a desktop
//! (Xvfb with openbox): keys and clicks sent through XTEST by a test
//! helper speaking the X protocol directly are one `synthetic_input`
//! record per episode with its counts and a screen capture; the devices
//! present at the start are in the environment record. And typing no
//! person types, judged from the timings the page sends with each autosave.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use paraakh_test_rig::xtest::Injector;
use paraakh_test_rig::{Display, require};

use super::BIN;
use super::session::{blobs_for, events, keys, records, session_run, verify};

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn keys_and_clicks_sent_through_xtest_are_one_record_per_episode_with_a_screen_capture() {
    if !require("synthetic input on Xvfb", &["Xvfb", "openbox", "xlogo"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    let display = Display::xvfb(1024, 768).unwrap();
    let spawn = |program: &str, args: &[&str]| {
        Running(
            display
                .command(program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let _wm = spawn("openbox", &["--sm-disable"]);
    std::thread::sleep(Duration::from_millis(500));
    let _window = spawn(
        "xlogo",
        &["-geometry", "400x300+100+100", "-title", "Answer sheet"],
    );
    std::thread::sleep(Duration::from_millis(500));

    let dir = t.join("session");
    let mut child = session_run(display.command(BIN), t, &keys, &dir, "s-xtest")
        .args([
            "--preset",
            "standard",
            "--screen",
            "desktop",
            "--no-detection",
        ])
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let started = lines.next().unwrap().unwrap();
    assert!(started.contains(r#""event":"started""#), "{started}");
    assert!(
        started.contains("input devices"),
        "the input watch runs: {started}"
    );
    // A quiet start: nothing is reported without input.
    std::thread::sleep(Duration::from_secs(2));
    let injector = Injector::connect(display.name()).unwrap();
    injector
        .type_text("photosynthesis makes sugar\n", Duration::from_millis(8))
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    injector.click_at(300, 250).unwrap();
    injector.click_at(310, 250).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    writeln!(stdin, r#"{{"submit":true}}"#).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let err = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert!(status.success(), "{err}");

    let recs = records(&dir);
    let synthetic = events(&recs, "synthetic_input");
    assert_eq!(synthetic.len(), 2, "one record per episode: {synthetic:#?}");
    let typed = &synthetic[0]["body"]["detail"];
    assert_eq!(typed["keys"], 27, "{typed}");
    assert_eq!(typed["buttons"], 0, "{typed}");
    assert_eq!(
        typed["devices"],
        serde_json::json!(["Virtual core XTEST keyboard"])
    );
    assert_eq!(typed["focus"], "Answer sheet", "{typed}");
    let clicked = &synthetic[1]["body"]["detail"];
    assert_eq!(
        (clicked["keys"].as_u64(), clicked["buttons"].as_u64()),
        (Some(0), Some(2)),
        "{clicked}"
    );
    for r in &synthetic {
        assert_eq!(r["severity"], "medium");
        let seq = r["seq"].as_u64();
        assert!(
            blobs_for(&recs, "screen_capture")
                .iter()
                .any(|b| b["body"]["event_seq"].as_u64() == seq),
            "a screen capture for record {seq:?}"
        );
    }
    // The devices at the start, each with where its input comes from.
    let env = events(&recs, "environment");
    let devices = env[0]["body"]["detail"]["input_devices"]
        .as_array()
        .unwrap();
    let origin = |name: &str| {
        devices
            .iter()
            .find(|d| d["name"] == name)
            .map(|d| d["origin"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        origin("Virtual core XTEST keyboard").as_deref(),
        Some("xtest")
    );
    assert_eq!(
        origin("Xvfb keyboard").as_deref(),
        Some("physical"),
        "{devices:#?}"
    );
    verify(&dir, &keys);
}

/// How answers were typed, sent with their autosaves (as the app's page
/// does): a person's typing leaves only its profile; a machine's (5 ms a
/// key, evenly) is one `machine_typing` record naming the answer it went
/// into, for the reviewer; never a warning.
#[test]
fn typing_no_person_types_is_recorded_with_its_answer_and_every_answer_has_a_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    let dir = t.join("session");
    // A person: 60–400 ms between keys, never evenly.
    let human: Vec<u32> = (0..120u32).map(|i| 60 + (i * 7919) % 340).collect();
    let machine = vec![5u32; 150];
    let save = |q: &str, answer: &str, intervals: &[u32]| {
        serde_json::json!({"save_answer": {
            "question": q,
            "answer": answer,
            "typing": {"intervals_ms": intervals, "inserted": []},
        }})
        .to_string()
    };
    let commands = [
        save("q1", "typed by hand", &human),
        save("q2", "typed by a program", &machine),
        save("q2", "typed by a program, still", &machine),
        r#"{"submit":true}"#.to_owned(),
    ]
    .join("\n");
    let mut child = session_run(std::process::Command::new(BIN), t, &keys, &dir, "s-typing")
        .args(["--preset", "standard", "--no-detection", "--no-lockdown"])
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{commands}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("machine_typing\",\"text"),
        "the candidate is not warned"
    );

    let recs = records(&dir);
    let answer_seq = |q: &str| {
        recs.iter()
            .find(|r| r["body"]["type"] == "answer" && r["body"]["question"] == q)
            .map(|r| r["seq"].as_u64().unwrap())
    };
    let machine = events(&recs, "machine_typing");
    let whys: Vec<&str> = machine
        .iter()
        .map(|r| r["body"]["detail"]["why"].as_str().unwrap())
        .collect();
    assert_eq!(
        whys,
        ["too_fast", "too_regular"],
        "once each, q2 only: {machine:#?}"
    );
    for r in &machine {
        assert_eq!(r["body"]["detail"]["question"], "q2");
        assert_eq!(r["body"]["detail"]["answer_seq"].as_u64(), answer_seq("q2"));
        assert_eq!(r["severity"], "info");
    }
    let profiles = events(&recs, "typing_profile");
    assert_eq!(profiles.len(), 2, "{profiles:#?}");
    let q1 = &profiles[0]["body"]["detail"];
    assert_eq!(q1["question"], "q1");
    assert_eq!(q1["keys"], 120);
    let cps = q1["chars_per_second"].as_f64().unwrap();
    assert!((3.0..=8.0).contains(&cps), "{q1}");
    assert_eq!(profiles[1]["body"]["detail"]["fastest_burst_cps"], 200.0);
    verify(&dir, &keys);
}

/// A profile is written with each checkpoint for the answers typed into
/// since the last, and at the end: a candidate who ends the program after
/// machine typing neither loses the profile nor has the same typing said
/// about them twice; the restarted session counts on from it.
#[test]
fn typing_profiles_are_written_with_the_checkpoints_and_carried_across_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    let dir = t.join("session");
    let save = serde_json::json!({"save_answer": {
        "question": "essay",
        "answer": "typed by a program",
        "typing": {"intervals_ms": vec![5u32; 100], "inserted": []},
    }})
    .to_string();
    let run = || {
        session_run(std::process::Command::new(BIN), t, &keys, &dir, "s-typed")
            .args(["--preset", "standard", "--no-detection", "--no-lockdown"])
            .args(["--checkpoint-every", "1"])
            .spawn()
            .unwrap()
    };
    let mut first = run();
    let mut stdin = first.stdin.take().unwrap();
    writeln!(stdin, "{save}").unwrap();
    // A checkpoint or two, then the program is ended.
    std::thread::sleep(Duration::from_secs(3));
    first.kill().unwrap();
    first.wait().unwrap();
    drop(stdin);
    let profiles = events(&records(&dir), "typing_profile").len();
    assert_eq!(profiles, 1, "written once, under a checkpoint");

    let mut second = run();
    writeln!(second.stdin.take().unwrap(), "{save}\n{{\"submit\":true}}").unwrap();
    let out = second.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&dir);
    let keys_typed: Vec<u64> = events(&recs, "typing_profile")
        .iter()
        .map(|r| r["body"]["detail"]["keys"].as_u64().unwrap())
        .collect();
    assert_eq!(keys_typed, [100, 200], "counted on across the restart");
    let machine = events(&recs, "machine_typing");
    assert_eq!(
        machine.len(),
        2,
        "too fast and too regular, once: {machine:#?}"
    );
}

/// A keyboard or pointer connected during the exam holds it where the
/// policy says so: the candidate who wants to cheat hands the typing to a
/// new device (here a remote helper's pair of master devices, which come
/// with their own XTEST keyboard and pointer) and then tries to save and
/// submit, and to end the program to be rid of the hold. Nothing is saved
/// or submitted until a proctor confirms; the resumed session is held
/// again. The candidate wrongly accused sees in the evidence exactly what
/// appeared, that the exam waited, and who let it go on.
#[test]
fn a_device_connected_during_the_exam_holds_it_until_a_proctor_confirms_even_across_a_restart() {
    if !require("an input device added on Xvfb", &["Xvfb"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = keys(t);
    let policy = t.join("policy.toml");
    std::fs::write(
        &policy,
        "preset = \"standard\"\nname = \"Centre exam\"\n[keyboard]\nhold_on_new_device = true\n",
    )
    .unwrap();
    let display = Display::xvfb(800, 600).unwrap();
    let dir = t.join("session");
    let start = || {
        let mut child = session_run(display.command(BIN), t, &keys, &dir, "s-held")
            .arg("--policy")
            .arg(&policy)
            .args(["--no-detection"])
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        (Running(child), stdin, lines.map_while(Result::ok))
    };
    let wait_for = |lines: &mut dyn Iterator<Item = String>, want: &str| -> Vec<String> {
        let mut seen = Vec::new();
        for line in &mut *lines {
            let found = line.contains(want);
            seen.push(line);
            if found {
                return seen;
            }
        }
        panic!("{want} never came: {seen:#?}");
    };

    let (mut first, mut stdin, mut lines) = start();
    wait_for(&mut lines, r#""event":"started""#);
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q1","answer":"before"}}}}"#
    )
    .unwrap();
    wait_for(&mut lines, r#""event":"answer_saved""#);
    Injector::connect(display.name())
        .unwrap()
        .add_master("Remote helper")
        .unwrap();
    let held = wait_for(&mut lines, r#""event":"held""#);
    assert!(
        held.last().unwrap().contains("Remote helper XTEST"),
        "{held:#?}"
    );
    // The new device types an answer and submits: neither is taken.
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q2","answer":"typed by the helper"}}}}"#
    )
    .unwrap();
    let refused = wait_for(&mut lines, r#""event":"trouble""#);
    assert!(
        refused
            .last()
            .unwrap()
            .contains("held until a proctor confirms"),
        "{refused:#?}"
    );
    writeln!(stdin, r#"{{"submit":true}}"#).unwrap();
    wait_for(&mut lines, r#""monitor":"submission""#);
    // Ending the program does not lift the hold.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    drop((stdin, lines));

    let (mut second, mut stdin, mut lines) = start();
    let resumed = wait_for(&mut lines, r#""event":"held""#);
    assert!(
        resumed.iter().any(|l| l.contains("The exam is still held")),
        "{resumed:#?}"
    );
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q2","answer":"still the helper"}}}}"#
    )
    .unwrap();
    wait_for(&mut lines, "held until a proctor confirms");
    writeln!(stdin, r#"{{"confirm_held":"proctor A. Rao"}}"#).unwrap();
    wait_for(&mut lines, r#""event":"released""#);
    writeln!(
        stdin,
        r#"{{"save_answer":{{"question":"q2","answer":"my own answer"}}}}"#
    )
    .unwrap();
    wait_for(&mut lines, r#""event":"answer_saved""#);
    writeln!(stdin, r#"{{"submit":true}}"#).unwrap();
    drop(stdin);
    wait_for(&mut lines, r#""event":"ended""#);
    assert!(second.0.wait().unwrap().success());

    let recs = records(&dir);
    let added = events(&recs, "input_device_added");
    assert_eq!(added.len(), 2, "its keyboard and its pointer: {added:#?}");
    assert!(
        added
            .iter()
            .all(|r| r["body"]["detail"]["holds_exam"] == true)
    );
    let holds = events(&recs, "exam_held");
    assert_eq!(
        holds.len(),
        2,
        "held, and held again after the restart: {holds:#?}"
    );
    assert_eq!(holds[1]["body"]["detail"]["resumed"], true);
    let released = events(&recs, "exam_released");
    assert_eq!(released.len(), 1, "{released:#?}");
    let detail = &released[0]["body"]["detail"];
    assert_eq!(detail["by"], "proctor A. Rao");
    assert_eq!(detail["refused"], 1, "the save after the restart: {detail}");
    let devices = detail["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{detail}");
    // Only the candidate's own answers are in the evidence.
    let answers: Vec<&str> = recs
        .iter()
        .filter(|r| r["body"]["type"] == "answer")
        .map(|r| r["body"]["question"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["q1", "q2"], "nothing typed while held was saved");
    let submissions: Vec<_> = recs
        .iter()
        .filter(|r| r["body"]["type"] == "submission")
        .collect();
    assert_eq!(submissions.len(), 1, "the one after the proctor confirmed");
    verify(&dir, &keys);
}
