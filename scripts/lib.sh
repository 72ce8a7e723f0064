# Shared set-up for scripts/demo and scripts/test: idempotent, quick when done.
# shellcheck shell=bash

# Each step with the wall-clock time and the minutes since the first step
# (the CI log then says where the time goes).
PARAAKH_STARTED=${PARAAKH_STARTED:-$(date +%s)}
export PARAAKH_STARTED
say() {
    local elapsed=$(($(date +%s) - PARAAKH_STARTED))
    printf '\033[1m==> [%s +%dm%02ds] %s\033[0m\n' "$(date -u +%H:%M:%S)" $((elapsed / 60)) $((elapsed % 60)) "$*" >&2
}

# Installs Debian packages that are missing (root, or sudo when not root).
ensure_debian_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # On stderr: callers print results on stdout (build-deb prints the
    # package's path), and apt's progress must not become part of them.
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Installs a Debian package when a command it provides is missing (a command
# installed another way, e.g. pip from pyenv or npm from NodeSource, is kept).
ensure_command() {
    local command=$1 pkg=$2
    command -v "$command" >/dev/null 2>&1 || ensure_debian_packages "$pkg"
}

# Checks for the Rust toolchain (it cannot be fetched from the package registries).
ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "Rust (cargo) is not installed. Install Rust stable with rustup, then run this again." >&2
        exit 2
    fi
}

# Installs a cargo tool from crates.io if its command is missing.
ensure_cargo_tool() {
    local crate=$1 command=$2
    command -v "$command" >/dev/null 2>&1 && return 0
    say "installing $crate from crates.io"
    cargo install --locked --quiet "$crate"
}

# What building the workspace needs: a C toolchain, and for capture cpal
# (ALSA), xcap (PipeWire, Wayland, GBM, xcb, D-Bus), nokhwa (V4L2 bindings
# through libclang) and libopus (built with cmake).
ensure_build_packages() {
    ensure_debian_packages gcc g++ libc6-dev pkg-config cmake libasound2-dev \
        libpipewire-0.3-dev libspa-0.2-dev libclang-dev libgbm-dev libxcb1-dev \
        libwayland-dev libdbus-1-dev libwebkit2gtk-4.1-dev
}

# The exam UI (ui/, TypeScript + Vite) built into ui/dist, which the app
# embeds at compile time: npm packages installed from the lock file when
# missing or out of date, then a build (a few seconds).
ensure_ui() {
    ensure_command npm npm
    if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
        say "installing the UI's npm packages (ui/package-lock.json)"
        # On stderr, as apt's: callers print their results on stdout.
        (cd ui && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
    # Built again only when a source is newer: a rebuilt dist makes cargo
    # rebuild the app that embeds it.
    if [ -f ui/dist/index.html ] && [ -z "$(find ui/src ui/index.html ui/package-lock.json \
        ui/vite.config.ts ui/tsconfig.json -newer ui/dist/index.html 2>/dev/null | head -n 1)" ]; then
        return 0
    fi
    say "building the exam UI (ui/dist)"
    (cd ui && npm run --silent build >/dev/null)
}

# What driving the app end to end needs: WebKitWebDriver (Debian), tauri-driver
# (crates.io), a window manager and X tools for the headless display; the
# GStreamer plugins with which WebKit plays the review page's Ogg Opus clips
# into PulseAudio; the fonts the exam pages' languages need (Hindi: Lohit
# Devanagari).
ensure_app_test_tools() {
    ensure_debian_packages webkit2gtk-driver xvfb openbox xdotool x11-apps x11-utils wmctrl x11vnc \
        gstreamer1.0-plugins-base gstreamer1.0-plugins-good fonts-dejavu-core fonts-lohit-deva
    ensure_cargo_tool tauri-driver@2.1.0 tauri-driver
}

# The headless rig the capture and lockdown tests start: Xvfb, Xorg with the
# dummy driver (two monitors), a VNC X server (Xtigervnc), X clients that
# draw, a PulseAudio server with a virtual sink; opus-tools checks audio
# clips; xdotool and x11vnc are real programs from the process blocklist;
# openbox is the window manager; PipeWire stands in for a desktop's graph;
# weston with Xwayland is a Wayland desktop (its demo clients draw there);
# cage is the exam session's kiosk compositor; PostgreSQL 15 is the index
# several backend replicas share (the tests start a private server of their
# own, never the system's); libfaketime moves one process's wall clock (the
# endurance test's clock jumps, as a candidate would move it).
ensure_rig_packages() {
    ensure_debian_packages xvfb xserver-xorg-core xserver-xorg-video-dummy \
        x11-xserver-utils x11-apps tigervnc-standalone-server openbox pulseaudio \
        pulseaudio-utils libasound2-plugins opus-tools xdotool x11vnc pipewire \
        pipewire-bin weston xwayland cage postgresql-15 faketime
}

# A real S3-compatible server for the backend's object-store tests: s3s-fs
# from crates.io, pinned (0.14.1 is the newest that builds on Rust 1.95),
# installed into the cache; prints the binary's path.
ensure_s3s_fs() {
    local root=${PARAAKH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paraakh}/s3s-fs-0.14.1
    if [ ! -x "$root/bin/s3s-fs" ]; then
        say "installing s3s-fs 0.14.1 from crates.io (an S3 server for tests)"
        cargo install --locked --quiet s3s-fs@0.14.1 --features binary --root "$root" >&2
    fi
    echo "$root/bin/s3s-fs"
}
