//! Remote sessions against real stand-ins: a PipeWire server with the
//! stream a compositor opens for a portal screen share.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use paraakh_lockdown::remote::{pipewire_dump, screencasts_in_pw_dump};
use paraakh_test_rig::require;

use super::Running;

#[test]
fn a_portal_screen_share_in_pipewire_is_found_and_goes_away_with_it() {
    if !require("PipeWire screen shares", &["pipewire", "pw-cli", "pw-dump"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let _server = Running(
        Command::new("pipewire")
            .env("XDG_RUNTIME_DIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while pipewire_dump(Some(dir.path())).is_none() {
        assert!(Instant::now() < deadline, "PipeWire did not answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Nothing shared yet.
    assert!(screencasts_in_pw_dump(&pipewire_dump(Some(dir.path())).unwrap()).is_empty());

    // The stream GNOME's compositor opens when a screen share is granted
    // (names and class as `pw-dump` shows them on a GNOME desktop).
    let node = "{ factory.name=support.null-audio-sink node.name=gnome-shell \
                media.name=meta-screen-cast-src media.class=Stream/Output/Video }";
    let mut sharer = Running(
        Command::new("pw-cli")
            .env("XDG_RUNTIME_DIR", dir.path())
            .args(["-m", "create-node", "adapter", node])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut found = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while found.is_empty() && Instant::now() < deadline {
        found = screencasts_in_pw_dump(&pipewire_dump(Some(dir.path())).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("meta-screen-cast-src from gnome-shell"),
        "{found:?}"
    );

    // The share ends (the stream's owner goes away): nothing is found.
    let _ = sharer.0.kill();
    let _ = sharer.0.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !found.is_empty() && Instant::now() < deadline {
        found = screencasts_in_pw_dump(&pipewire_dump(Some(dir.path())).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(found.is_empty(), "{found:?}");
}
