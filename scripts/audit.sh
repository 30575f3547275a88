#!/usr/bin/env bash
# Audit both environments' locked dependencies for known vulnerabilities (pip-audit).
# Exits non-zero if pip-audit finds a vulnerability; SECURITY.md says which known ones are
# accepted and why. The result is only as complete as the vulnerability service reachable.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for lock in requirements/rasa.lock requirements/app.lock; do
    echo "== $lock"
    .venv/bin/pip-audit -r "$lock" --no-deps --disable-pip --progress-spinner off "$@" || status=1
done
exit $status
