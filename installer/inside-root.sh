#!/bin/bash
# Runs inside the fresh Debian root (installer/test-install), as root, with no
# environment but PATH, HOME and LANG: installs the package with apt, runs
# what a user would, purges it. Results go to /tmp/results for the host to
# judge (this root has no python or jq).
set -euo pipefail
deb=$1
out=/tmp/results
mkdir -p "$out"
export DEBIAN_FRONTEND=noninteractive
# Every file on the root filesystem, but the scratch and virtual ones.
snapshot() {
    find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /run \) -prune \
        -o -print | LC_ALL=C sort
}
apt-get update -qq
start=$(date +%s%N)
# What apt pulls in for the package (its Depends and Recommends) first, so
# that the snapshot before it holds them and the purge can be judged alone.
apt-get satisfy -y -qq "$(dpkg-deb -f "$deb" Depends), $(dpkg-deb -f "$deb" Recommends)" \
    > "$out/apt-deps.log" 2>&1
snapshot > "$out/before.txt"
apt-get install -y -qq "$deb" > "$out/apt-install.log" 2>&1
echo $(( ($(date +%s%N) - start) / 1000000 )) > "$out/install-ms"
dpkg-query -W -f='${Installed-Size}\n' paraakh > "$out/installed-kib"

paraakh --version > "$out/version.txt"
# The check's exit is 1 here (no camera, no display): its detection item is what counts.
set +e
paraakh check --json > "$out/check.json" 2> "$out/check.err"
echo $? > "$out/check.exit"
paraakh detect faces /usr/share/paraakh/samples/astronaut.png --json > "$out/faces.json" 2> "$out/faces.err"
echo $? > "$out/faces.exit"
xdg-mime query default x-scheme-handler/paraakh > "$out/handler.txt" 2>&1
echo $? > "$out/handler.exit"
systemd-analyze verify /lib/systemd/system/paraakh-sync.service \
    /lib/systemd/system/paraakh-sync.timer > "$out/units-verify.txt" 2>&1
echo $? > "$out/units-verify.exit"
mkdir -p -m 0700 /run/user/0
XDG_RUNTIME_DIR=/run/user/0 systemd-analyze --user verify /usr/lib/systemd/user/paraakh-sync.service \
    /usr/lib/systemd/user/paraakh-sync.timer > "$out/user-units-verify.txt" 2>&1
echo $? > "$out/user-units-verify.exit"
set -e
ls /etc/systemd/system/timers.target.wants/ /etc/systemd/user/timers.target.wants/ \
    > "$out/enabled.txt" 2>&1 || true
getent passwd paraakh > "$out/user.txt" || true
test -s /usr/share/man/man1/paraakh.1.gz && test -s /usr/share/man/man1/paraakh-app.1.gz
test -s /usr/share/bash-completion/completions/paraakh

apt-get purge -y -qq paraakh > "$out/apt-purge.log" 2>&1
snapshot > "$out/after.txt"
