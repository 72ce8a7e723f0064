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
