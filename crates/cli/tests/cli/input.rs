//! Input that no hand made, through `paraakh session run` on a desktop
//! (Xvfb with openbox): keys and clicks sent through XTEST by a test
//! helper speaking the X protocol directly are one `synthetic_input`
//! record per episode with its counts and a screen capture; the devices
//! present at the start are in the environment record.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use paraakh_test_rig::xtest::Injector;
use paraakh_test_rig::{Display, require};

use super::session::{blobs_for, events, keys, records, verify};
use super::{BIN, p};

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
    let mut child = display
        .command(BIN)
        .args(["session", "run", "--preset", "standard"])
        .args([
            "--out",
            p(&dir),
            "--tenant-key",
            p(&keys.join("encryption.pub")),
        ])
        .args([
            "--tenant",
            "acme",
            "--exam",
            "physics",
            "--session-id",
            "s-xtest",
        ])
        .args(["--consent", "--device-key", p(&t.join("device.key"))])
        .args(["--screen", "desktop", "--no-detection"])
        .args(["--commands", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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
