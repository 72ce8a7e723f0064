//! The built-in catalogue of programs that must not run during an exam.
//!
//! A program is recognised by any of:
//! - an executable name (the file name, lower case, `.exe` dropped), which
//!   is also compared with the process name and with the script an
//!   interpreter runs (`python3 /usr/bin/autokey-gtk`);
//! - a path fragment (lower case) of the executable or script, which gives
//!   a renamed copy away as long as it stays where it was installed;
//! - a marker: bytes inside the executable file itself (a product or
//!   company name as it appears in the binary), which gives a renamed copy
//!   away wherever it is put. Markers are stored backwards and must not
//!   appear in any other string of this catalogue, so that no Paraakh
//!   binary carries them (a test scans the built binaries).
//!
//! Limits, said plainly: a program rebuilt from source with its strings
//! changed, run inside an interpreter we do not unwrap, or hidden in a
//! container or another user's namespace we cannot read, is not
//! recognised by these rules. Markers are only read from executables up to
//! [`super::content::MAX_SCAN_BYTES`].

use serde::Serialize;

/// Why a program is prohibited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// Someone else can see or control the machine.
    RemoteAccess,
    /// The screen can be recorded, streamed or photographed.
    ScreenRecording,
    /// Someone else can be talked to.
    MeetingsAndChat,
    /// Keystrokes or text can be produced by a program.
    Automation,
    /// A terminal (only when the policy says so).
    Terminal,
    /// On the tenant's own list.
    TenantBlocked,
}

impl Category {
    /// In plain words.
    pub fn describe(self) -> &'static str {
        match self {
            Category::RemoteAccess => "remote access",
            Category::ScreenRecording => "screen recording or screenshots",
            Category::MeetingsAndChat => "meetings and chat",
            Category::Automation => "automation or text expansion",
            Category::Terminal => "terminal",
            Category::TenantBlocked => "prohibited by the exam's policy",
        }
    }
}

/// A program of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    /// Stable id (used in allow lists and reports).
    pub id: &'static str,
    /// Its name for people.
    pub name: &'static str,
    /// Why it is prohibited.
    pub category: Category,
    /// Executable names, lower case, without `.exe`.
    pub executables: &'static [&'static str],
    /// Path fragments, lower case.
    pub paths: &'static [&'static str],
    /// Bytes inside the executable that identify it (case-sensitive),
    /// written backwards: Paraakh's own binaries must not contain them, or
    /// the guard would take another copy of Paraakh for the program.
    pub markers: &'static [&'static str],
    /// When not empty, the program is prohibited only when its command line
    /// has one of these (a general tool used to capture the screen).
    pub only_with_args: &'static [&'static str],
}

const fn p(
    id: &'static str,
    name: &'static str,
    category: Category,
    executables: &'static [&'static str],
) -> Program {
    Program {
        id,
        name,
        category,
        executables,
        paths: &[],
        markers: &[],
        only_with_args: &[],
    }
}

impl Program {
    const fn paths(mut self, paths: &'static [&'static str]) -> Self {
        self.paths = paths;
        self
    }

    const fn markers(mut self, markers: &'static [&'static str]) -> Self {
        self.markers = markers;
        self
    }

    const fn only_with_args(mut self, args: &'static [&'static str]) -> Self {
        self.only_with_args = args;
        self
    }
}

use Category::{Automation, MeetingsAndChat, RemoteAccess, ScreenRecording, Terminal};

/// Remote access, recorders, meetings and chat, automation.
pub const DEFAULT_BLOCKLIST: &[Program] = &[
    // Remote access.
    p("anydesk", "AnyDesk", RemoteAccess, &["anydesk"])
        .paths(&["anydesk"])
        .markers(&["HbmG erawtfoS ordnalihp", "HbmG erawtfoS kseDynA"]),
    p(
        "teamviewer",
        "TeamViewer",
        RemoteAccess,
        &[
            "teamviewer",
            "teamviewerd",
            "teamviewer_desktop",
            "tv_bin",
            "teamviewer_service",
        ],
    )
    .paths(&["teamviewer"])
    .markers(&["HbmG ynamreG reweiVmaeT", "HbmG reweiVmaeT"]),
    p("rustdesk", "RustDesk", RemoteAccess, &["rustdesk"])
        .paths(&["rustdesk"])
        .markers(&["moc.ksedtsur"]),
    p("x11vnc", "x11vnc (VNC server)", RemoteAccess, &["x11vnc"]).markers(&[" :cnv11x"]),
    p(
        "vnc-server",
        "VNC server",
        RemoteAccess,
        &[
            "xvnc",
            "xtightvnc",
            "xtigervnc",
            "vncserver",
            "tigervncserver",
            "x0vncserver",
            "x0tigervncserver",
            "vncserver-x11",
            "vncserver-x11-serviced",
            "vncserverui",
            "winvnc",
            "winvnc4",
            "tvnserver",
            "wayvnc",
        ],
    )
    .markers(&["revreS CNVregiT", "revreS CNVthgiT", "revreS CNVlaeR"]),
    p(
        "vnc-viewer",
        "VNC viewer",
        RemoteAccess,
        &[
            "vncviewer",
            "xtightvncviewer",
            "xtigervncviewer",
            "gvncviewer",
            "ssvnc",
            "tvnviewer",
        ],
    ),
    p(
        "remmina",
        "Remmina (remote desktop client)",
        RemoteAccess,
        &["remmina"],
    ),
    p(
        "krdc",
        "KRDC (remote desktop client)",
        RemoteAccess,
        &["krdc"],
    ),
    p(
        "vinagre",
        "Vinagre (remote desktop client)",
        RemoteAccess,
        &["vinagre"],
    ),
    p(
        "chrome-remote-desktop",
        "Chrome Remote Desktop",
        RemoteAccess,
        &[
            "chrome-remote-desktop-host",
            "remoting_host",
            "remoting_me2me_host",
            "remoting_desktop",
            "remoting_start_host",
        ],
    )
    .paths(&["chrome-remote-desktop", "chromoting"]),
    p(
        "gnome-remote-desktop",
        "GNOME Remote Desktop",
        RemoteAccess,
        &["gnome-remote-desktop-daemon", "gnome-remote-desktop"],
    ),
    p(
        "krfb",
        "Krfb (KDE desktop sharing)",
        RemoteAccess,
        &["krfb", "krfb-virtualmonitor"],
    ),
    p(
        "xrdp",
        "xrdp (RDP server)",
        RemoteAccess,
        &["xrdp", "xrdp-sesman", "xrdp-chansrv"],
    ),
    p(
        "nomachine",
        "NoMachine",
        RemoteAccess,
        &["nxserver", "nxnode", "nxplayer", "nxd"],
    )
    .paths(&["/usr/nx/", "nomachine"]),
    p("parsec", "Parsec", RemoteAccess, &["parsecd", "parsec"]).paths(&["parsec"]),
    p(
        "splashtop",
        "Splashtop",
        RemoteAccess,
        &["srstreamer", "srservice", "splashtop-streamer", "strwinclt"],
    )
    .paths(&["splashtop"]),
    p(
        "supremo",
        "Supremo",
        RemoteAccess,
        &["supremo", "supremoservice"],
    ),
    p(
        "ammyy",
        "Ammyy Admin",
        RemoteAccess,
        &["aa_v3", "ammyy_admin"],
    ),
    p(
        "ultraviewer",
        "UltraViewer",
        RemoteAccess,
        &["ultraviewer", "ultraviewer_desktop"],
    ),
    p(
        "dwservice",
        "DWService agent",
        RemoteAccess,
        &["dwagent", "dwagsvc"],
    )
    .paths(&["dwagent"]),
    // Screen recording, streaming and screenshots.
    p(
        "obs",
        "OBS Studio",
        ScreenRecording,
        &["obs", "obs64", "obs32", "obs-studio"],
    )
    .paths(&["obs-studio"])
    .markers(&["cisaBSBO"]),
    p(
        "simplescreenrecorder",
        "SimpleScreenRecorder",
        ScreenRecording,
        &["simplescreenrecorder", "ssr-glinject"],
    ),
    p("kazam", "Kazam", ScreenRecording, &["kazam"]),
    p("peek", "Peek", ScreenRecording, &["peek"]).paths(&["com.uploadedlobster.peek"]),
    p(
        "vokoscreen",
        "vokoscreen",
        ScreenRecording,
        &["vokoscreen", "vokoscreenng", "vokoscreen-ng"],
    ),
    p(
        "recordmydesktop",
        "recordMyDesktop",
        ScreenRecording,
        &[
            "recordmydesktop",
            "gtk-recordmydesktop",
            "qt-recordmydesktop",
        ],
    ),
    p("kooha", "Kooha", ScreenRecording, &["kooha"]),
    p(
        "gpu-screen-recorder",
        "GPU Screen Recorder",
        ScreenRecording,
        &["gpu-screen-recorder", "gsr-kms-server"],
    ),
    p(
        "wf-recorder",
        "wf-recorder",
        ScreenRecording,
        &["wf-recorder", "wl-screenrec"],
    ),
    p("byzanz", "Byzanz", ScreenRecording, &["byzanz-record"]),
    p(
        "screenshot-tools",
        "screenshot tool",
        ScreenRecording,
        &[
            "flameshot",
            "shutter",
            "ksnip",
            "spectacle",
            "scrot",
            "maim",
            "grim",
            "sharex",
            "greenshot",
            "snagit32",
            "snagiteditor",
        ],
    ),
    p(
        "recorders-windows-macos",
        "screen recorder",
        ScreenRecording,
        &[
            "bandicam",
            "camtasia",
            "camrecorder",
            "xsplit.core",
            "streamlabs obs",
            "loom",
            "screenflow",
            "fraps",
        ],
    ),
    p(
        "ffmpeg-screen",
        "ffmpeg capturing the screen",
        ScreenRecording,
        &["ffmpeg"],
    )
    .only_with_args(&[
        "x11grab",
        "kmsgrab",
        "gdigrab",
        "ddagrab",
        "avfoundation",
        "pipewiregrab",
    ]),
    p(
        "gstreamer-screen",
        "GStreamer capturing the screen",
        ScreenRecording,
        &["gst-launch-1.0", "gst-launch"],
    )
    .only_with_args(&[
        "ximagesrc",
        "pipewiresrc",
        "d3d11screencapturesrc",
        "dx9screencapsrc",
        "gdiscreencapsrc",
        "avfvideosrc",
    ]),
    p(
        "vlc-screen",
        "VLC capturing the screen",
        ScreenRecording,
        &["vlc", "cvlc"],
    )
    .only_with_args(&["screen://"]),
    // Meetings and chat.
    p(
        "zoom",
        "Zoom",
        MeetingsAndChat,
        &["zoom", "zoom.us", "zoomwebhost", "zoomlauncher"],
    )
    .paths(&["/opt/zoom/", "zoom.us.app"]),
    p(
        "teams",
        "Microsoft Teams",
        MeetingsAndChat,
        &["teams", "ms-teams", "teams-for-linux", "msteams"],
    )
    .paths(&["teams-for-linux", "microsoft teams"]),
    p(
        "skype",
        "Skype",
        MeetingsAndChat,
        &["skype", "skypeforlinux", "skypeapp"],
    )
    .paths(&["skypeforlinux"]),
    p("slack", "Slack", MeetingsAndChat, &["slack"]).paths(&["/usr/lib/slack/", "slack.app"]),
    p(
        "discord",
        "Discord",
        MeetingsAndChat,
        &[
            "discord",
            "discordcanary",
            "discordptb",
            "vesktop",
            "webcord",
        ],
    )
    .paths(&["discord"]),
    p(
        "telegram",
        "Telegram",
        MeetingsAndChat,
        &[
            "telegram",
            "telegram-desktop",
            "telegramdesktop",
            "kotatogram-desktop",
            "ayugram-desktop",
        ],
    )
    .paths(&["telegram"]),
    p(
        "signal",
        "Signal",
        MeetingsAndChat,
        &["signal-desktop", "signal"],
    )
    .paths(&["signal-desktop", "signal.app"]),
    p("element", "Element", MeetingsAndChat, &["element-desktop"]).paths(&["element-desktop"]),
    p(
        "webex",
        "Webex",
        MeetingsAndChat,
        &["webex", "ciscowebexstart", "atmgr", "webexmta", "webexhost"],
    )
    .paths(&["webex"]),
    p(
        "whatsapp",
        "WhatsApp",
        MeetingsAndChat,
        &[
            "whatsapp",
            "whatsapp-for-linux",
            "whatsapp-desktop",
            "zapzap",
        ],
    )
    .paths(&["whatsapp"]),
    p("jitsi", "Jitsi Meet", MeetingsAndChat, &["jitsi-meet"]),
    p(
        "caprine",
        "Caprine (Messenger)",
        MeetingsAndChat,
        &["caprine"],
    ),
    // Automation and text expansion.
    p("xdotool", "xdotool", Automation, &["xdotool"]).markers(&["noisrev lootodx"]),
    p("ydotool", "ydotool", Automation, &["ydotool", "ydotoold"]),
    p("espanso", "espanso", Automation, &["espanso"]),
    p(
        "autokey",
        "AutoKey",
        Automation,
        &["autokey", "autokey-gtk", "autokey-qt"],
    ),
    p(
        "autohotkey",
        "AutoHotkey",
        Automation,
        &[
            "autohotkey",
            "autohotkeyu64",
            "autohotkeyu32",
            "autohotkey64",
            "autohotkey32",
        ],
    ),
    p("xte", "xautomation (xte)", Automation, &["xte"]),
    p(
        "xmacro",
        "xmacro",
        Automation,
        &["xmacrorec2", "xmacroplay", "xmacrorec"],
    ),
    p("actiona", "Actiona", Automation, &["actiona", "actexec"]),
    p("keynav", "keynav", Automation, &["keynav"]),
];

/// Terminals, prohibited only when the policy's `block_terminals` says so.
pub const TERMINALS: &[Program] = &[p(
    "terminal",
    "terminal",
    Terminal,
    &[
        "gnome-terminal",
        "gnome-terminal-server",
        "kgx",
        "ptyxis",
        "konsole",
        "xterm",
        "uxterm",
        "xfce4-terminal",
        "mate-terminal",
        "lxterminal",
        "qterminal",
        "terminator",
        "tilix",
        "alacritty",
        "kitty",
        "wezterm",
        "wezterm-gui",
        "foot",
        "urxvt",
        "rxvt",
        "st",
        "sakura",
        "guake",
        "tilda",
        "yakuake",
        "cool-retro-term",
        "terminology",
        "cmd",
        "powershell",
        "pwsh",
        "windowsterminal",
        "wt",
        "terminal",
        "iterm2",
    ],
)];

/// Assistive technology, never treated as prohibited whatever a list says:
/// a candidate who needs a screen reader or an on-screen keyboard keeps it.
pub const ASSISTIVE: &[&str] = &[
    "orca",
    "onboard",
    "florence",
    "caribou",
    "at-spi-bus-launcher",
    "at-spi2-registryd",
    "speech-dispatcher",
    "espeakup",
    "kmag",
    "kmousetool",
    "magnus",
    "nvda",
    "narrator",
    "magnify",
    "jfw",
    "zoomtext",
    "osk",
    "voiceover",
    "dasher",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every marker, read forwards.
    fn markers() -> impl Iterator<Item = String> {
        DEFAULT_BLOCKLIST.iter().chain(TERMINALS).flat_map(|p| {
            p.markers
                .iter()
                .map(|m| m.chars().rev().collect::<String>())
        })
    }

    #[test]
    fn no_marker_is_in_the_plain_text_of_the_catalogue() {
        let mut plain: Vec<&str> = ASSISTIVE.to_vec();
        for p in DEFAULT_BLOCKLIST.iter().chain(TERMINALS) {
            plain.extend([p.id, p.name]);
            plain.extend(p.executables);
            plain.extend(p.paths);
            plain.extend(p.only_with_args);
        }
        for m in markers() {
            assert!(m.len() >= 8, "marker {m:?} is too short to be specific");
            for text in &plain {
                assert!(
                    !text.contains(m.as_str()),
                    "marker {m:?} is inside {text:?}"
                );
            }
        }
    }

    #[test]
    fn ids_are_unique_and_names_lower_case() {
        let mut ids: Vec<&str> = DEFAULT_BLOCKLIST
            .iter()
            .chain(TERMINALS)
            .map(|p| p.id)
            .collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for p in DEFAULT_BLOCKLIST.iter().chain(TERMINALS) {
            for e in p.executables.iter().chain(p.paths) {
                assert_eq!(*e, e.to_lowercase(), "{}", p.id);
            }
        }
    }
}
