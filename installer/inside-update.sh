#!/bin/bash
# Runs inside the fresh Debian root for installer/test-update, one phase at
# a time (the host publishes between phases). Writes what apt said and the
# installed version to /tmp/results/PHASE.*.
set -uo pipefail
phase=$1
out=/tmp/results
mkdir -p "$out"
export DEBIAN_FRONTEND=noninteractive
installed() { dpkg-query -W -f='${Version}' paraakh 2>/dev/null; }
case $phase in
    install)
        # The candidate's one step: the package, which brings its update channel.
        apt-get update -qq > "$out/install.update.log" 2>&1
        apt-get install -y -qq "$2" > "$out/install.log" 2>&1
        echo $? > "$out/install.exit"
        ;;
    upgrade)
        apt-get update > "$out/upgrade.$2.update.log" 2>&1
        echo $? > "$out/upgrade.$2.update.exit"
        apt-get upgrade -y > "$out/upgrade.$2.upgrade.log" 2>&1
        echo $? > "$out/upgrade.$2.upgrade.exit"
        ;;
esac
name=$phase
[ "$phase" = upgrade ] && name=upgrade.$2
installed > "$out/$name.version"
