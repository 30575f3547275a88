#!/usr/bin/env bash
# The Debian packages the tests and the benchmarks run for real on loopback: Redis (lock store),
# PostgreSQL (tracker store), Chromium (the widget), docker-compose (the compose file's check).
# Installed only when missing, with one `apt-get update` first; `make test` and `make bench`
# call this, so a fresh machine needs nothing installed by hand.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
command -v docker-compose >/dev/null || need+=(docker-compose)
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "system packages missing (${need[*]}): install them as root (apt-get install ${need[*]})" >&2; exit 1; }
    sudo=(sudo)
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >/dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
