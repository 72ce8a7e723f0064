#![allow(clippy::unwrap_used)]

use super::*;
use crate::centre;

/// Records the commands; `useradd` adds the user to the root's passwd as
/// the real one would.
struct Recorder {
    root: PathBuf,
    commands: Vec<String>,
}

impl Run for Recorder {
    fn run(&mut self, program: &str, args: &[&str]) -> Result<(), String> {
        self.commands.push(format!("{program} {}", args.join(" ")));
        if program == "useradd" {
            let user = args.last().unwrap();
            let passwd = self.root.join("etc/passwd");
            let mut text = std::fs::read_to_string(&passwd).unwrap();
            text.push_str(&format!("{user}:x:1001:1001::/home/{user}:/bin/sh\n"));
            std::fs::write(passwd, text).unwrap();
        }
        Ok(())
    }
}

const PACKAGE_CONFIG: &str = "# the package's own\n";
const GREETD_DEFAULT: &str = "[default_session]\ncommand = \"agreety\"\n";

/// A computer with greetd, cage, the package and another display manager.
fn computer() -> (tempfile::TempDir, Recorder) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (path, text) in [
        ("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"),
        ("usr/sbin/greetd", ""),
        ("usr/bin/cage", ""),
        ("usr/lib/paraakh/exam-session", ""),
        ("etc/paraakh/config.toml", PACKAGE_CONFIG),
        ("etc/greetd/config.toml", GREETD_DEFAULT),
    ] {
        std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        std::fs::write(root.join(path), text).unwrap();
    }
    std::fs::create_dir_all(root.join("etc/systemd/system")).unwrap();
    std::os::unix::fs::symlink(
        "/lib/systemd/system/gdm3.service",
        root.join(DISPLAY_MANAGER),
    )
    .unwrap();
    let r = Recorder {
        root: root.to_owned(),
        commands: Vec::new(),
    };
    (dir, r)
}

fn centre_file(root: &Path, user: &str) -> Centre {
    let key =
        paraakh_keys::NoteSigner::generate("acme.example", paraakh_keys::SIG_TYPE_ED25519).unwrap();
    let dir = root.join("etc/paraakh");
    std::fs::create_dir_all(dir.join("centre")).unwrap();
    std::fs::write(
        dir.join("centre/trust.toml"),
        format!(
            "[tenants.acme]\nname = \"ACME University\"\nsigning_keys = [\"{}\"]\n",
            key.verifier().encode()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("centre/launch.toml"), "package = \"x\"\n").unwrap();
    std::fs::write(
        dir.join("centre.toml"),
        format!(
            "user = \"{user}\"\ntrust = \"centre/trust.toml\"\nlaunch = \"centre/launch.toml\"\n"
        ),
    )
    .unwrap();
    centre::read(&dir.join("centre.toml")).unwrap()
}

#[test]
fn a_station_is_set_up_twice_to_the_same_end_and_undone_to_what_was_there() {
    let (dir, mut r) = computer();
    let root = dir.path();
    let centre = centre_file(root, "exam");
    let done = setup(&centre, root, &mut r).unwrap();
    assert!(
        done.done.iter().any(|d| d.contains("made the user exam")),
        "{done:?}"
    );

    // The locked configuration: the trust, evidence outside the home.
    let config = std::fs::read_to_string(root.join(CONFIG)).unwrap();
    assert!(config.contains("lock = true"), "{config}");
    assert!(
        config.contains("data_dir = \"/var/lib/paraakh/station\""),
        "{config}"
    );
    assert_eq!(paraakh_policy::config::check_managed(&config), Ok(1));
    // greetd logs the user in, with the launch file.
    let greetd = std::fs::read_to_string(root.join(GREETD_CONFIG)).unwrap();
    let parsed: toml::Table = greetd.parse().unwrap();
    for section in ["initial_session", "default_session"] {
        assert_eq!(parsed[section]["user"].as_str(), Some("exam"));
        let command = parsed[section]["command"].as_str().unwrap();
        assert!(
            command.starts_with("/usr/lib/paraakh/station-session --launch /"),
            "{command}"
        );
        assert!(
            command.ends_with("etc/paraakh/centre/launch.toml"),
            "{command}"
        );
    }
    assert!(
        std::fs::read_to_string(root.join(SYSCTL))
            .unwrap()
            .contains("ptrace_scope = 1")
    );
    assert!(
        std::fs::read_to_string(root.join(LOGIND))
            .unwrap()
            .contains("NAutoVTs=0")
    );
    assert_eq!(
        r.commands,
        [
            "useradd --create-home --user-group --shell /bin/sh --comment Paraakh exam station exam",
            "chown exam:exam /var/lib/paraakh/station",
            "systemctl enable --force greetd.service",
        ]
    );

    // Again: no second user, the first backups kept (not our own files).
    r.commands.clear();
    let again = setup(&centre, root, &mut r).unwrap();
    assert!(
        again.done.iter().any(|d| d.contains("there already")),
        "{again:?}"
    );
    assert!(!r.commands.iter().any(|c| c.starts_with("useradd")));
    // Another user while set up: refused with what to do.
    let other = centre_file(root, "exam2");
    let err = setup(&other, root, &mut r).unwrap_err().to_string();
    assert!(err.contains("paraakh centre undo"), "{err}");

    // A candidate's unsent session in the station's evidence directory.
    let session = root.join("var/lib/paraakh/station/tenants/acme/sessions/s1");
    std::fs::create_dir_all(&session).unwrap();

    r.commands.clear();
    let undone = undo(root, &mut r).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join(CONFIG)).unwrap(),
        PACKAGE_CONFIG
    );
    assert_eq!(
        std::fs::read_to_string(root.join(GREETD_CONFIG)).unwrap(),
        GREETD_DEFAULT
    );
    assert!(!root.join(SYSCTL).exists());
    assert!(!root.join(LOGIND).exists());
    assert!(!root.join(STATE).exists());
    assert!(!root.join(BACKUPS).exists());
    assert_eq!(
        r.commands,
        [
            "systemctl disable greetd.service",
            "systemctl enable --force gdm3.service",
            "userdel --remove exam",
        ]
    );
    // The evidence stays, and the report says how to send it.
    assert!(session.is_dir());
    assert!(
        undone
            .done
            .iter()
            .any(|d| d.contains("1 exam session kept") && d.contains("paraakh sync --all")),
        "{undone:?}"
    );
    // Nothing to undo any more.
    let err = undo(root, &mut r).unwrap_err().to_string();
    assert!(err.contains("not an exam station"), "{err}");
}

#[test]
fn a_station_needs_greetd_and_never_an_administrator() {
    let (dir, mut r) = computer();
    let root = dir.path();
    let centre = centre_file(root, "exam");
    std::fs::remove_file(root.join("usr/sbin/greetd")).unwrap();
    let err = setup(&centre, root, &mut r).unwrap_err().to_string();
    assert!(
        err.contains("greetd is not installed: apt-get install greetd"),
        "{err}"
    );
    assert!(r.commands.is_empty());
    std::fs::write(root.join("usr/sbin/greetd"), "").unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\nexam:x:0:0::/root:/bin/sh\n",
    )
    .unwrap();
    let err = setup(&centre, root, &mut r).unwrap_err().to_string();
    assert!(err.contains("administrator"), "{err}");
    assert_eq!(
        std::fs::read_to_string(root.join(CONFIG)).unwrap(),
        PACKAGE_CONFIG
    );
}

/// greetd was the login manager already (with its own greeter): the undo
/// leaves it so, with its configuration back.
#[test]
fn a_login_manager_that_was_greetd_stays_greetd() {
    let (dir, mut r) = computer();
    let root = dir.path();
    std::fs::remove_file(root.join(DISPLAY_MANAGER)).unwrap();
    std::os::unix::fs::symlink(
        "/lib/systemd/system/greetd.service",
        root.join(DISPLAY_MANAGER),
    )
    .unwrap();
    let centre = centre_file(root, "exam");
    setup(&centre, root, &mut r).unwrap();
    r.commands.clear();
    let undone = undo(root, &mut r).unwrap();
    assert_eq!(r.commands, ["userdel --remove exam"]);
    assert!(
        undone.done.iter().any(|d| d.contains("greetd stays")),
        "{undone:?}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(GREETD_CONFIG)).unwrap(),
        GREETD_DEFAULT
    );
}
