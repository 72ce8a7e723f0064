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
# A candidate's account for the exam session (made before the snapshot:
# it is no file of the package's).
useradd --create-home candidate
snapshot > "$out/before.txt"
apt-get install -y -qq "$deb" > "$out/apt-install.log" 2>&1
echo $(( ($(date +%s%N) - start) / 1000000 )) > "$out/install-ms"
dpkg-query -W -f='${Installed-Size}\n' paraakh > "$out/installed-kib"

paraakh --version > "$out/version.txt"
# A tenant's keys and a centre's signed launch file, for the station below
# (made while paraakh is here).
paraakh keys generate --out /tmp/tenant-keys --name demo-tenant.example > /dev/null
paraakh keys generate --out /tmp/centre-keys --name centre.example > /dev/null
printf 'checkpoint_seconds = 10\n' > /tmp/launch.toml
paraakh sign launch /tmp/launch.toml --key /tmp/centre-keys/signing.key --out /tmp/launch.signed > /dev/null
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

# The exam session as the login screen starts it, for an ordinary user, on
# cage's headless backend (this root has no screen): the installed launcher
# starts cage and the app; the app seals the compositor once its page is up
# and says so. Cold start: launcher started to session sealed.
# Starts COMMAND as USER the way a login manager would (its own runtime
# directory, a clean environment) on cage's headless backend, logging to
# LOG; sets $uid and $session, and returns once the app says it sealed the
# exam session (or after 60 s).
start_session() {
    local user=$1 command=$2 log=$3
    shift 3
    uid=$(id -u "$user")
    mkdir -p -m 0700 "/run/user/$uid"
    chown "$user": "/run/user/$uid"
    setpriv --reuid="$user" --regid="$user" --init-groups \
        env -i "HOME=/home/$user" "USER=$user" "LOGNAME=$user" "XDG_RUNTIME_DIR=/run/user/$uid" \
        WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
        "$command" "$@" > "$log" 2>&1 &
    session=$!
    for _ in $(seq 600); do
        grep -q "exam session (cage)" "$log" && break
        sleep 0.1
    done
}
start=$(date +%s%N)
start_session candidate /usr/lib/paraakh/exam-session "$out/exam-session.log"
echo $(( ($(date +%s%N) - start) / 1000000 )) > "$out/exam-session-ms"
# Sealed: the compositor's socket is gone, so no other program can connect.
ls -A "/run/user/$uid" > "$out/exam-session-runtime.txt"
# (No procps in a minimal root: /proc read directly.)
candidates_processes() {
    for p in /proc/[0-9]*; do
        [ "$(stat -c %u "$p" 2> /dev/null)" = "$uid" ] && echo "${p#/proc/} $(cat "$p/comm" 2> /dev/null)"
    done
}
# The app first (cage then ends as it does when the candidate closes the
# exam), then whatever is left.
end_session() {
    candidates_processes | while read -r pid name; do
        if [ "$name" = paraakh-app ]; then kill "$pid" 2> /dev/null || true; fi
    done
    sleep 1
    candidates_processes | while read -r pid _; do kill -s KILL "$pid" 2> /dev/null || true; done
}
candidates_processes > "$out/exam-session-processes.txt"
end_session
wait "$session" 2> /dev/null || true
userdel --remove candidate 2> /dev/null || true
set -e
ls /etc/systemd/system/timers.target.wants/ /etc/systemd/user/timers.target.wants/ \
    > "$out/enabled.txt" 2>&1 || true
getent passwd paraakh > "$out/user.txt" || true
test -s /usr/share/man/man1/paraakh.1.gz && test -s /usr/share/man/man1/paraakh-app.1.gz
test -s /usr/share/bash-completion/completions/paraakh

apt-get purge -y -qq paraakh > "$out/apt-purge.log" 2>&1
snapshot > "$out/after.txt"

# A proctoring centre's station, installed silently: greetd, then the
# package with the centre file in place (its postinst runs `paraakh centre
# setup`); the station's session run once as the login manager would; undone.
mkdir -p /etc/paraakh/centre
printf 'centre_keys = ["%s"]\n\n[tenants.demo-tenant]\nname = "Demo University"\nsigning_keys = ["%s"]\n' \
    "$(cat /tmp/centre-keys/signing.pub)" "$(cat /tmp/tenant-keys/signing.pub)" > /etc/paraakh/centre/trust.toml
cp /tmp/launch.signed /etc/paraakh/centre/launch.toml
printf 'user = "paraakh-exam"\ntrust = "centre/trust.toml"\nlaunch = "centre/launch.toml"\n' > /etc/paraakh/centre.toml
apt-get install -y -qq greetd > "$out/station-greetd.log" 2>&1
cp /etc/greetd/config.toml /tmp/greetd-before.toml
readlink /etc/systemd/system/display-manager.service > "$out/station-dm-before.txt" || true
apt-get install -y -qq "$deb" > "$out/station-install.log" 2>&1
cp /etc/paraakh/config.toml "$out/station-config.toml"
cp /etc/greetd/config.toml "$out/station-greetd.toml"
# The app on this station accepts the centre's launch file (signed, trusted).
paraakh-app --launch /etc/paraakh/centre/launch.toml --check-launch > "$out/station-launch.txt" 2>&1 || true
readlink /etc/systemd/system/display-manager.service > "$out/station-dm.txt" || true
stat -c '%U %a' /var/lib/paraakh/station > "$out/station-data.txt"
cat /etc/sysctl.d/60-paraakh-station.conf /etc/systemd/logind.conf.d/60-paraakh-station.conf \
    > "$out/station-sysctl.txt"
set +e
echo "a candidate's notes" > /home/paraakh-exam/notes.txt
# What greetd runs: the home reset, then the exam session.
start_session paraakh-exam /usr/lib/paraakh/station-session "$out/station-session.log" \
    --launch /etc/paraakh/centre/launch.toml
ls -A /home/paraakh-exam > "$out/station-home.txt"
end_session
wait "$session" 2> /dev/null
# Only the station's user resets its home.
paraakh centre reset-home --json > "$out/station-reset-root.json" 2> /dev/null
echo $? > "$out/station-reset-root.exit"
paraakh centre undo --json > "$out/station-undo.json" 2> "$out/station-undo.err"
echo $? > "$out/station-undo.exit"
getent passwd paraakh-exam > "$out/station-user-after.txt"
cmp -s /etc/greetd/config.toml /tmp/greetd-before.toml
echo $? > "$out/station-greetd-restored.exit"
readlink /etc/systemd/system/display-manager.service > "$out/station-dm-after.txt" || true
set -e
