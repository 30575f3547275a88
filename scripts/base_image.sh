#!/usr/bin/env bash
# Base images bootstrapped from Debian's own packages, for building docker/Dockerfile.* where no
# registry of container images is reachable (only Debian's archive and PyPI). Each is
# `debootstrap --variant=minbase bookworm` plus a few packages, imported into podman:
#
#   scripts/base_image.sh actions    localhost/kratom-base/actions:bookworm   Debian's python3.11 in a venv
#   scripts/base_image.sh rasa       localhost/kratom-base/rasa:bookworm      CPython 3.10 (see below)
#   scripts/base_image.sh services   localhost/kratom-base/services:bookworm  redis-server, PostgreSQL 15, nginx
#   scripts/base_image.sh all
#
# An image that already exists is kept (FORCE=1 rebuilds it). Needs root, debootstrap and
# podman (apt-get install debootstrap podman runc). PODMAN overrides the podman command line.
#
# Why the Rasa base is built this way. Rasa 3.6 needs Python 3.8-3.10; bookworm ships only 3.11,
# and bullseye's 3.9 is older than the lock file (requirements/rasa.lock) was made for, and
# python.org is not reachable to build from source. So the Rasa base is bookworm minbase plus
# the shared libraries CPython links against, and the build machine's own CPython 3.10 (the
# pyenv build .venv-rasa runs on, $PYTHON310, default /root/.pyenv/versions/3.10.*) copied
# to /usr/local, the same layout as the python:3.10-slim image. It is safe because the build
# machine is bookworm too: the interpreter was compiled against exactly these glibc, OpenSSL,
# SQLite and libffi versions (the script refuses another host). Left out: site-packages
# (whatever the host installed there; pip is reinstalled from the interpreter's own ensurepip),
# the test suite, idle/tkinter and the static library. Its RUNPATH points at the pyenv directory,
# which does not exist in the image; ldconfig finds libpython3.10.so in /usr/local/lib instead.
# The script then imports ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, readline in the new root
# and fails if any is missing.
set -euo pipefail

PODMAN=${PODMAN:-podman}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PREFIX=localhost/kratom-base
work= name=
PATH_DEFAULT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { echo "base_image.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

exists() { $PODMAN image exists "$1" 2>/dev/null; }

# bootstrap ROOT PACKAGES...: a minbase bookworm in ROOT, then PACKAGES with apt-get (debootstrap's
# own --include cannot resolve virtual packages such as python3.11-venv's python3-distutils),
# with no recommends, no service started by a postinst, and apt's caches removed.
bootstrap() {
    local root=$1; shift
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$root.log" 2>&1 \
        || { tail -20 "$root.log" >&2; die "debootstrap failed (log: $root.log)"; }
    # The same sources the image's own apt-get would use.
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
        "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$SUITE" >"$root/etc/apt/sources.list"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
    mkdir -p "$root/etc/postgresql-common"
    echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.conf"
    mount -t proc proc "$root/proc"
    if ! { chroot "$root" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$root" \
            apt-get install -y -qq --no-install-recommends "$@"; } >>"$root.log" 2>&1; then
        umount "$root/proc"; tail -20 "$root.log" >&2; die "apt-get install $* failed (log: $root.log)"
    fi
    umount "$root/proc"
    rm -f "$root.log" "$root/usr/sbin/policy-rc.d"
    chroot "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log "$root"/var/log/apt/* \
           "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
}

# import ROOT TAG CHANGES...: the root file system as a one-layer image.
import_root() {
    local root=$1 tag=$2; shift 2
    local changes=(--change "ENV LANG=C.UTF-8" --change 'CMD ["/bin/bash"]')
    local c
    for c in "$@"; do changes+=(--change "$c"); done
    tar --numeric-owner -C "$root" -c . | $PODMAN import "${changes[@]}" - "$tag" >/dev/null 2>"$root.import.log" \
        || { cat "$root.import.log" >&2; die "podman import failed"; }
    echo "built $tag"
}

check_python() {  # ROOT PYTHON: the stdlib modules that need a shared library load in the new root
    chroot "$1" "$2" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, readline, hashlib, decimal, json; print(ssl.OPENSSL_VERSION)' \
        || die "$2 in the new root cannot load its standard library"
}

build_actions() {
    local tag=$PREFIX/actions:$SUITE root=$1/actions
    # Debian's python3.11, in a venv on PATH: bookworm's system Python refuses `pip install`
    # (PEP 668), and a venv keeps pip's packages apart from Debian's.
    bootstrap "$root" python3.11 python3.11-venv ca-certificates
    chroot "$root" python3.11 -m venv /opt/venv
    check_python "$root" /opt/venv/bin/python
    import_root "$root" "$tag" "ENV PATH=/opt/venv/bin:$PATH_DEFAULT"
}

build_rasa() {
    local tag=$PREFIX/rasa:$SUITE root=$1/rasa src
    grep -q '^VERSION_CODENAME=bookworm' /etc/os-release \
        || die "the build machine is not Debian bookworm: its Python 3.10 would not match the image's libraries"
    src=${PYTHON310:-$(ls -d /root/.pyenv/versions/3.10.* 2>/dev/null | sort -V | tail -1)}
    [ -x "$src/bin/python3.10" ] || die "no CPython 3.10 to copy (set PYTHON310 to its prefix, e.g. a pyenv version)"
    # What CPython's extension modules link against (see ldd on lib-dynload/*.so).
    bootstrap "$root" ca-certificates libssl3 libsqlite3-0 libffi8 libbz2-1.0 liblzma5 zlib1g \
        libreadline8 libncursesw6 libtinfo6 libuuid1 libgdbm6 libexpat1 libcrypt1 libtirpc3
    tar -C "$src" -c \
        --exclude='./lib/python3.10/site-packages/*' --exclude='./lib/python3.10/test' \
        --exclude='./lib/python3.10/idlelib' --exclude='./lib/python3.10/tkinter' \
        --exclude='./lib/python3.10/turtledemo' --exclude='./lib/python3.10/config-3.10-*/*.a' \
        --exclude='./lib/libpython3.10.a' --exclude='__pycache__' --exclude='./share' \
        --exclude='./bin/idle*' --exclude='./bin/pip*' --exclude='./bin/pydoc*' --exclude='./bin/2to3*' \
        . | tar -C "$root/usr/local" -x --no-same-owner
    chroot "$root" ldconfig
    chroot "$root" /usr/local/bin/python3.10 -m ensurepip --default-pip >/dev/null 2>&1
    rm -rf "$root"/root/.cache
    for name in python python3; do ln -sf python3.10 "$root/usr/local/bin/$name"; done
    for name in pip pip3; do ln -sf pip3.10 "$root/usr/local/bin/$name"; done
    check_python "$root" /usr/local/bin/python
    chroot "$root" pip --version >/dev/null || die "pip does not run in the new root"
    import_root "$root" "$tag" "ENV PATH=$PATH_DEFAULT"
}

build_services() {
    local tag=$PREFIX/services:$SUITE root=$1/services
    # Stand-ins for redis:7.0-alpine, postgres:15-alpine and nginx-unprivileged in the test
    # stack (tests/images/stack.py): bookworm has Redis 7.0, PostgreSQL 15 and nginx 1.22.
    bootstrap "$root" redis-server postgresql-15 nginx ca-certificates
    import_root "$root" "$tag" "ENV PATH=/usr/lib/postgresql/15/bin:$PATH_DEFAULT"
}

main() {
    local which=${1:-all} names=()
    case $which in
        all) names=(actions rasa services) ;;
        actions|rasa|services) names=("$which") ;;
        *) die "usage: $0 actions|rasa|services|all" ;;
    esac
    work=$(mktemp -d /var/tmp/kratom-base.XXXXXX)
    trap '[ -d "$work" ] || exit 0; mountpoint -q "$work/$name/proc" 2>/dev/null && umount "$work/$name/proc"; find "$work" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +' EXIT
    for name in "${names[@]}"; do
        if [ "${FORCE:-0}" != 1 ] && exists "$PREFIX/$name:$SUITE"; then
            echo "kept $PREFIX/$name:$SUITE (FORCE=1 rebuilds it)"
            continue
        fi
        "build_$name" "$work"
        rm -rf "${work:?}/$name"
    done
    rm -rf "$work"
}

main "$@"
