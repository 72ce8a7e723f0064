#!/usr/bin/env python3
"""Judges what installer/inside-root.sh left in RESULTS; prints figures as JSON.

Fails (exit 1) naming each thing that is not as docs/install.md says.
"""
import json
import os
import sys

results, deb = sys.argv[1], sys.argv[2]
problems = []


def read(name):
    with open(os.path.join(results, name), encoding="utf-8", errors="replace") as f:
        return f.read()


def exit_of(name):
    return int(read(name + ".exit").strip())


if not read("version.txt").startswith("paraakh "):
    problems.append(f"paraakh --version said {read('version.txt')!r}")

check = json.loads(read("check.json") or "{}")
detection = [i for i in check.get("items", []) if i.get("id") == "detection"]
if not detection or detection[0].get("status") != "ok" or "/usr/share/paraakh/models" not in detection[0].get("detail", ""):
    problems.append(f"paraakh check did not find the detector where the package puts it: {detection} {read('check.err')}")

if exit_of("faces") != 0:
    problems.append(f"paraakh detect faces failed: {read('faces.err')}")
else:
    faces = json.loads(read("faces.json"))["images"][0]["faces"]
    if len(faces) != 1:
        problems.append(f"the sample's one face was not found: {faces}")

if read("handler.txt").strip() != "paraakh.desktop":
    problems.append(f"xdg-mime names {read('handler.txt').strip()!r} for paraakh:// links")

for units in ("units-verify", "user-units-verify"):
    if exit_of(units) != 0 or read(units + ".txt").strip():
        problems.append(f"systemd-analyze verify ({units}): {read(units + '.txt')}")

enabled = read("enabled.txt")
if enabled.count("paraakh-sync.timer") != 2:
    problems.append(f"the sync timers are not enabled (system and user): {enabled}")
if not read("user.txt").startswith("paraakh:"):
    problems.append("the sync service's user paraakh was not made")

session_log = read("exam-session.log")
if "exam session (cage)" not in session_log or "the exam is the only program on screen" not in session_log:
    problems.append(f"the exam session did not start and seal in cage: {session_log[-2000:]}")
runtime = read("exam-session-runtime.txt").split()
if "wayland-0" in runtime:
    problems.append(f"the exam session's socket is still there after the seal: {runtime}")
processes = read("exam-session-processes.txt")
if " cage" not in processes or " paraakh-app" not in processes:
    problems.append(f"cage and the app were not both running in the exam session: {processes}")

# The station: set up by the silent install, its session run, undone.
config = read("station-config.toml")
if "lock = true" not in config or 'data_dir = "/var/lib/paraakh/station"' not in config or "demo-tenant" not in config:
    problems.append(f"the station was not set up by the silent install: {config} {read('station-install.log')[-2000:]}")
greetd = read("station-greetd.toml")
if 'user = "paraakh-exam"' not in greetd or "/usr/lib/paraakh/station-session --launch /etc/paraakh/centre/launch.toml" not in greetd:
    problems.append(f"greetd does not log the station's user into the exam session: {greetd}")
if not read("station-dm.txt").strip().endswith("greetd.service"):
    problems.append(f"greetd is not the login manager: {read('station-dm.txt')}")
if read("station-data.txt").strip() != "paraakh-exam 700":
    problems.append(f"the station's evidence directory: {read('station-data.txt')}")
if "ptrace_scope = 1" not in read("station-sysctl.txt") or "NAutoVTs=0" not in read("station-sysctl.txt"):
    problems.append(f"the station does not restrict ptrace or keeps login prompts on other terminals: {read('station-sysctl.txt')}")
if "centre.example" not in read("station-launch.txt"):
    problems.append(f"the station's app does not accept the centre's signed launch file: {read('station-launch.txt')}")
station_log = read("station-session.log")
if "the exam is the only program on screen" not in station_log:
    problems.append(f"the station's session did not reach a sealed exam session: {station_log[-2000:]}")
station_home = read("station-home.txt").split()
if "notes.txt" in station_home or ".profile" not in station_home:
    problems.append(f"the station's home was not reset from /etc/skel: {station_home}")
if exit_of("station-reset-root") != 1:
    problems.append("root could reset the station user's home")
if exit_of("station-undo") != 0:
    problems.append(f"paraakh centre undo failed: {read('station-undo.err')}")
if read("station-user-after.txt").strip():
    problems.append("the station's user is still there after the undo")
if exit_of("station-greetd-restored") != 0:
    problems.append("greetd's configuration was not restored by the undo")
if read("station-dm-after.txt") != read("station-dm-before.txt"):
    problems.append(f"the login manager after the undo ({read('station-dm-after.txt')!r}) is not the one before ({read('station-dm-before.txt')!r})")

# After the purge: no file of the package's, and nothing new since its
# dependencies were installed but what the docs say stays (apt's and dpkg's
# own records, logs, caches; the system user's account backups).
KEPT = (
    "/var/lib/apt/", "/var/cache/apt/", "/var/cache/debconf/", "/var/lib/dpkg/",
    "/var/log/", "/var/cache/ldconfig/", "/var/cache/man/", "/var/lib/systemd/deb-systemd-",
    "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-", "/etc/subuid-", "/etc/subgid-",
)
before = set(read("before.txt").split("\n"))
after = set(read("after.txt").split("\n"))
# (The package's own files are among these when the purge left any.)
left = sorted(p for p in after - before if not p.startswith(KEPT))
if left:
    problems.append("left after apt-get purge: " + ", ".join(left[:30]))

figures = {
    "version": read("version.txt").strip(),
    "detection": detection[0].get("detail") if detection else None,
    "handler": read("handler.txt").strip(),
    "package_bytes": os.path.getsize(deb),
    "installed_kib": int(read("installed-kib").strip()),
    "install_ms": int(read("install-ms").strip()),
    "exam_session_cold_start_ms": int(read("exam-session-ms").strip()),
}
print(json.dumps(figures))
if problems:
    for p in problems:
        print("test-install: " + p, file=sys.stderr)
    sys.exit(1)
