//! Headless stand-ins for the devices tests need, started by the tests
//! themselves and stopped when dropped (never left running):
//!
//! - [`Display::xvfb`]: an Xvfb X server with one screen;
//! - [`Display::two_monitors`]: Xorg with the dummy driver and two RandR
//!   monitors side by side (Xvfb cannot have two);
//! - [`Wayland::start`]: a headless weston with Xwayland;
//! - [`Cage::start`]: the kiosk compositor of the exam session (cage) on
//!   its headless backend, its Xwayland refused as the session refuses it;
//! - [`Audio::start`]: a private PulseAudio server whose null sink's monitor
//!   is the default input, so what a test plays (`paplay`) is what a
//!   program recording the default microphone hears.
//!
//! - [`webdriver::Browser`]: WebKit's MiniBrowser driven by WebDriver, for
//!   pages that are not the app (the reviewer's report);
//! - [`postgres::Postgres`]: a private PostgreSQL server (Debian's
//!   `postgresql-15`) on a free loopback port, for the backend's index;
//! - [`disk::SmallDisk`]: a small tmpfs to fill mid-exam (root only);
//! - [`xtest::Injector`]: keys and clicks sent through the X server's
//!   XTEST extension (the X protocol directly, no `xdotool`);
//! - [`proxy::FaultProxy`]: a TCP proxy that cuts, delays and refuses
//!   connections, for tests of uploads over a bad network.
//!
//! Each runs in its own temporary directory; programs under test get the
//! environment that points at it through [`Display::command`] /
//! [`Audio::command`]. Without the packages a test is skipped with a
//! message, unless `PARAAKH_TEST_STRICT=1` (CI), where that fails it.

// Test support: a panic is the failure report, and messages go to stderr.
#![allow(clippy::print_stderr)]

pub mod disk;
pub mod fixture;
pub mod postgres;
pub mod proxy;
pub mod xtest;
// Test support: a panic is the failure report.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod webdriver;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

/// Why the rig could not start.
pub type RigError = String;

/// Whether missing prerequisites fail tests instead of skipping them.
pub fn strict() -> bool {
    std::env::var_os("PARAAKH_TEST_STRICT").is_some_and(|v| v == "1")
}

/// Whether `program` is on the PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Skips a test whose prerequisite `why` is missing (a message on stderr),
/// or fails it under `PARAAKH_TEST_STRICT=1`. The one strict-skip switch
/// every test crate uses.
pub fn skip(why: &str) {
    assert!(
        !strict(),
        "{why} (PARAAKH_TEST_STRICT=1 makes this a failure; ./scripts/test installs what is missing)"
    );
    eprintln!("skipped: {why}");
}

/// True when every program is there. Otherwise says which are missing and
/// returns false (skip), or panics under `PARAAKH_TEST_STRICT=1`.
pub fn require(test: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !have(p)).collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{test}: needs {} (./scripts/test installs them)",
        missing.join(", ")
    );
    assert!(!strict(), "{msg}");
    eprintln!("skipped: {msg}");
    false
}

/// Starts `cmd` with `-displayfd 1` semantics: reads the display number the
/// server prints on stdout once it accepts connections.
fn start_x(mut cmd: Command, what: &str) -> Result<(Child, String), RigError> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(line) if !line.trim().is_empty() => Ok((child, format!(":{}", line.trim()))),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{what} did not start within 20 s"))
        }
    }
}

/// A headless X server.
#[derive(Debug)]
pub struct Display {
    child: Child,
    name: String,
    dir: tempfile::TempDir,
}

impl Display {
    /// Xvfb with one `width`×`height` screen at 24-bit colour.
    pub fn xvfb(width: u32, height: u32) -> Result<Self, RigError> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut cmd = Command::new("Xvfb");
        cmd.args([
            "-displayfd",
            "1",
            "-nolisten",
            "tcp",
            "-noreset",
            "-screen",
            "0",
        ])
        .arg(format!("{width}x{height}x24"))
        .current_dir(dir.path());
        let (child, name) = start_x(cmd, "Xvfb")?;
        let d = Self { child, name, dir };
        // Xvfb's one output is not primary until told; programs expect one.
        let _ = d
            .command("xrandr")
            .args(["--output", "screen", "--primary"])
            .status();
        Ok(d)
    }

    /// Xorg (dummy driver) with two `width`×`height` monitors side by side.
    pub fn two_monitors(width: u32, height: u32) -> Result<Self, RigError> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let conf = dir.path().join("xorg.conf");
        std::fs::write(&conf, xorg_conf(width, height)).map_err(|e| e.to_string())?;
        let mut cmd = Command::new("Xorg");
        cmd.args(["-displayfd", "1", "-nolisten", "tcp", "-noreset", "-config"])
            .arg(&conf)
            .arg("-logfile")
            .arg(dir.path().join("xorg.log"))
            .current_dir(dir.path());
        let (child, name) = start_x(cmd, "Xorg (dummy driver)")?;
        let d = Self { child, name, dir };
        let mode = format!("{width}x{height}");
        d.run("xrandr", &["--addmode", "DUMMY1", &mode])?;
        d.run(
            "xrandr",
            &[
                "--output",
                "DUMMY1",
                "--mode",
                &mode,
                "--right-of",
                "DUMMY0",
            ],
        )?;
        Ok(d)
    }

    /// Any X server started by `cmd`, which must take `-displayfd 1` among
    /// its arguments (Xtigervnc, Xephyr, ...).
    pub fn start(mut cmd: Command, what: &str) -> Result<Self, RigError> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        cmd.current_dir(dir.path());
        let (child, name) = start_x(cmd, what)?;
        Ok(Self { child, name, dir })
    }

    /// The display name (`:N`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A scratch directory that lives as long as the display.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A command that runs on this display.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("DISPLAY", &self.name).env_remove("WAYLAND_DISPLAY");
        c
    }

    /// Runs an X client to completion; an error says what failed.
    pub fn run(&self, program: &str, args: &[&str]) -> Result<(), RigError> {
        let out = self
            .command(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

/// A two-colour checkerboard drawn as the root window's background, so a
/// screen capture can be checked pixel by pixel.
#[derive(Debug, Clone, Copy)]
pub struct Checkerboard {
    /// Side of one square in pixels (the pattern repeats every two).
    pub square: u32,
    /// Colour of the squares where `(x / square + y / square)` is even.
    pub even: [u8; 3],
    /// Colour of the other squares.
    pub odd: [u8; 3],
}

impl Checkerboard {
    /// The colour the pattern has at (`x`, `y`) of the root window.
    pub fn colour_at(&self, x: u32, y: u32) -> [u8; 3] {
        if (x / self.square + y / self.square).is_multiple_of(2) {
            self.even
        } else {
            self.odd
        }
    }

    /// Sets it as `display`'s background (`xsetroot -bitmap`).
    pub fn draw(&self, display: &Display) -> Result<(), RigError> {
        let xbm = display.dir().join("checkerboard.xbm");
        std::fs::write(&xbm, self.xbm()).map_err(|e| e.to_string())?;
        let hex = |c: [u8; 3]| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
        let path = xbm.to_str().ok_or("temporary path is not UTF-8")?;
        display.run(
            "xsetroot",
            &[
                "-bitmap",
                path,
                "-fg",
                &hex(self.even),
                "-bg",
                &hex(self.odd),
            ],
        )
    }

    /// One period of the pattern as an XBM bitmap: set bits are `even`.
    fn xbm(&self) -> String {
        let size = self.square * 2;
        let mut bytes = Vec::new();
        for y in 0..size {
            for bx in 0..size.div_ceil(8) {
                let mut b = 0u8;
                for bit in 0..8 {
                    let x = bx * 8 + bit;
                    if x < size && (x / self.square + y / self.square).is_multiple_of(2) {
                        b |= 1 << bit;
                    }
                }
                bytes.push(format!("0x{b:02x}"));
            }
        }
        format!(
            "#define c_width {size}\n#define c_height {size}\nstatic unsigned char c_bits[] = {{\n{}}};\n",
            bytes.join(",")
        )
    }
}

fn xorg_conf(width: u32, height: u32) -> String {
    format!(
        r#"Section "Device"
    Identifier "dummy"
    Driver "dummy"
    VideoRam 512000
EndSection
Section "Monitor"
    Identifier "monitor"
    HorizSync 5.0-1000.0
    VertRefresh 5.0-200.0
EndSection
Section "Screen"
    Identifier "screen"
    Device "dummy"
    Monitor "monitor"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Virtual {} {height}
        Modes "{width}x{height}"
    EndSubSection
EndSection
Section "ServerFlags"
    Option "AutoAddDevices" "false"
EndSection
"#,
        width * 2
    )
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        remove_orphaned_shm();
    }
}

/// Removes SysV shared-memory segments that nobody is attached to and
/// whose creator has exited. X clients that are killed (the tests kill
/// x11vnc, and the app again and again) leave their MIT-SHM segments
/// behind; a few thousand of them exhaust the kernel's limit and every
/// later X client that asks for one fails ("shmget: No space left on
/// device"). A segment still attached, or whose creator lives, is kept.
pub fn remove_orphaned_shm() {
    let Ok(table) = std::fs::read_to_string("/proc/sysvipc/shm") else {
        return;
    };
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(id), Some(cpid), Some(nattch)) = (f.get(1), f.get(4), f.get(6)) else {
            continue;
        };
        if *nattch == "0" && !Path::new("/proc").join(cpid).exists() {
            let _ = Command::new("ipcrm")
                .args(["-m", id])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A headless Wayland compositor (weston) with Xwayland: what a candidate
/// on a Wayland desktop has, including the X display it offers.
#[derive(Debug)]
pub struct Wayland {
    child: Child,
    dir: tempfile::TempDir,
    x_display: String,
}

impl Wayland {
    /// Starts weston on the headless backend with its own runtime directory
    /// and waits until its socket and its X display answer.
    pub fn start() -> Result<Self, RigError> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(|e| e.to_string())?;
        }
        let log = dir.path().join("weston.log");
        let child = Command::new("weston")
            .args([
                "--backend=headless-backend.so",
                "--socket=wayland-1",
                "--idle-time=0",
                "--xwayland",
            ])
            .arg(format!("--log={}", log.display()))
            .env("XDG_RUNTIME_DIR", dir.path())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start weston: {e}"))?;
        let mut w = Self {
            child,
            dir,
            x_display: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(rest) = text.split("xserver listening on display ").nth(1)
                // Answering, not only bound: a test connects at once.
                && std::os::unix::net::UnixStream::connect(w.dir.path().join("wayland-1")).is_ok()
            {
                w.x_display = rest.split_whitespace().next().unwrap_or(":0").to_owned();
                return Ok(w);
            }
            if Instant::now() > deadline {
                return Err(format!("weston did not start within 20 s: {text}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The runtime directory holding the compositor's socket.
    pub fn runtime_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The Xwayland display (`:N`), started when a client first connects.
    pub fn x_display(&self) -> &str {
        &self.x_display
    }
}

impl Drop for Wayland {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The kiosk compositor of the exam session (cage) on wlroots' headless
/// backend with software rendering, in a runtime directory of its own.
/// Its Xwayland is refused (`WLR_XWAYLAND` names a program that fails), as
/// the exam session's launcher refuses it. cage will not run as root: as
/// root it runs in a user namespace where the caller is an ordinary user
/// (files it makes still belong to the caller outside).
#[derive(Debug)]
pub struct Cage {
    child: Child,
    dir: tempfile::TempDir,
}

/// The user cage runs as when the test runs as root (inside its namespace).
pub const CAGE_UID: u32 = 1000;

impl Cage {
    /// Starts cage with `client` as its application (cage ends when it
    /// does) and `env` added, and waits until its socket `wayland-0` is
    /// there. Clients started with [`Cage::command`] connect to it.
    pub fn start(client: &[&OsStr], env: &[(&str, &OsStr)]) -> Result<Self, RigError> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(|e| e.to_string())?;
        }
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt as _;
            m.uid() == 0
        });
        let mut cmd = if root {
            let mut c = Command::new("unshare");
            c.arg("--user")
                .arg(format!("--map-user={CAGE_UID}"))
                .arg(format!("--map-group={CAGE_UID}"))
                .arg("cage");
            c
        } else {
            Command::new("cage")
        };
        let log = std::fs::File::create(dir.path().join("cage.log")).map_err(|e| e.to_string())?;
        cmd.arg("-d")
            .arg("--")
            .args(client)
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_XWAYLAND", "/bin/false")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        #[cfg(unix)]
        {
            // Its own process group: the clients it starts go with it.
            use std::os::unix::process::CommandExt as _;
            cmd.process_group(0);
        }
        let child = cmd.spawn().map_err(|e| format!("cannot start cage: {e}"))?;
        let mut c = Self { child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !c.socket().exists() {
            if let Ok(Some(status)) = c.child.try_wait() {
                return Err(format!("cage ended ({status}): {}", c.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("cage did not start within 20 s: {}", c.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(c)
    }

    /// The runtime directory holding its socket.
    pub fn runtime_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its socket (gone once the exam app has sealed the session).
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("wayland-0")
    }

    /// cage's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What cage said on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("cage.log")).unwrap_or_default()
    }

    /// A command that connects to this compositor (not one of cage's own
    /// children: a second client, as another program would start it).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("XDG_RUNTIME_DIR", self.dir.path())
            .env("WAYLAND_DISPLAY", "wayland-0")
            .env_remove("DISPLAY");
        cmd
    }
}

impl Drop for Cage {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private PulseAudio server with a null sink `vsink` whose monitor is the
/// default source.
#[derive(Debug)]
pub struct Audio {
    child: Child,
    dir: tempfile::TempDir,
}

impl Audio {
    /// Starts the server and waits until it answers.
    pub fn start() -> Result<Self, RigError> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(|e| e.to_string())?;
        }
        let child = Command::new("pulseaudio")
            .args([
                "--daemonize=no",
                "--system=false",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "-n",
                "--load=module-native-protocol-unix auth-anonymous=1",
                "--load=module-null-sink sink_name=vsink rate=48000 channels=2",
                "--log-target=stderr",
            ])
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start pulseaudio: {e}"))?;
        let a = Self { child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if a.command("pactl")
                .arg("info")
                .output()
                .is_ok_and(|o| o.status.success())
            {
                break;
            }
            if Instant::now() > deadline {
                return Err("pulseaudio did not answer within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        for args in [
            ["set-default-sink", "vsink"],
            ["set-default-source", "vsink.monitor"],
        ] {
            let ok = a
                .command("pactl")
                .args(args)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(format!("pactl {} failed", args.join(" ")));
            }
        }
        Ok(a)
    }

    /// The server's runtime directory.
    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// A command that talks to this server (and whose ALSA default device is it).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("XDG_RUNTIME_DIR", self.dir.path())
            .env("HOME", self.dir.path())
            .env_remove("PULSE_SERVER");
        c
    }

    /// Plays a sound file into the sink (so into the default input), waiting
    /// until it has played.
    pub fn play(&self, file: &Path) -> Result<(), RigError> {
        let out = self
            .command("paplay")
            .arg(file)
            .output()
            .map_err(|e| format!("paplay: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "paplay: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Drop for Audio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
