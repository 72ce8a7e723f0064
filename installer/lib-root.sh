# A fresh Debian 12 root for the package tests (test-install, test-update):
# made once by debootstrap from Debian's mirror and cached outside the clone
# (a cold run makes it), unpacked anew for each test, entered through mount
# and process namespaces of its own so nothing is left mounted.
# shellcheck shell=bash

# Unpacks a fresh root into DIR.
fresh_root() {
    local dir=$1
    local cache=${PARAAKH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paraakh}
    # The base root, named by what it holds (a change makes a new one).
    local base=$cache/debian12-base-systemd-man.tar
    local mirror=${PARAAKH_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' \
        /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
    mirror=${mirror:-http://deb.debian.org/debian}
    if [ ! -s "$base" ]; then
        say "making a Debian 12 base root from $mirror (once; cached in $base)"
        local made
        made=$(mktemp -d)
        # mktemp's 0700 would become the root directory's mode: nobody but
        # root could reach /lib in it.
        chmod 0755 "$made"
        # A minimal installation with what every Debian system has besides:
        # systemd (units are checked with its systemd-analyze), man-db, CA
        # certificates; nothing of ours.
        debootstrap --variant=minbase --include=systemd,man-db,ca-certificates bookworm \
            "$made" "$mirror" >&2
        chroot "$made" apt-get clean
        mkdir -p "$cache"
        tar -C "$made" -cf "$base.tmp" .
        mv "$base.tmp" "$base"
        rm -rf "$made"
    fi
    mkdir -p "$dir"
    tar -C "$dir" -xf "$base"
    # A base made before the line above was there recorded its root as 0700.
    chmod 0755 "$dir"
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
}

# Runs SCRIPT (a path inside ROOT) with bash in ROOT, as root, with no
# environment but PATH, HOME and LANG; /proc, /dev and /sys are mounted for
# it and go with its namespace.
in_root() {
    local root=$1
    shift
    unshare --mount --pid --fork --mount-proc="$root/proc" \
        sh -c 'root=$1; shift; mount --rbind /dev "$root/dev" && mount -t sysfs sysfs "$root/sys" &&
               exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
                   LANG=C.UTF-8 /bin/bash "$@"' \
        sh "$root" "$@"
}
