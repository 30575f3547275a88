#!/usr/bin/env bash
# Create or update the two Python environments from the lock files. Idempotent and quiet when
# nothing changed: each environment records the hash of its lock file and is rebuilt only when
# the lock file changes.
#   .venv-rasa  CPython 3.10 + Rasa Open Source 3.6.21 (Rasa supports 3.8-3.10 only)
#   .venv       CPython 3.11 + torch 2.13.0 CPU, sentence-transformers, FAISS, rasa-sdk, tooling
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {  # find_python 3.10
    local want=$1 candidate
    for candidate in \
        "$(command -v "python$want" 2>/dev/null || true)" \
        $( (command -v pyenv >/dev/null && ls -d "$(pyenv root)"/versions/"$want".*/bin/python"$want" 2>/dev/null) || true) \
        $(ls -d "$HOME"/.pyenv/versions/"$want".*/bin/python"$want" 2>/dev/null || true) \
        "/usr/bin/python$want" "/usr/local/bin/python$want"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

pip_quiet() {  # pip, minus the warnings about this machine's extra package folders
    "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

make_env() {  # make_env DIR PYTHON_VERSION LOCKFILE
    local dir=$1 version=$2 lock=$3 python hash
    hash=$(cat "$lock" pyproject.toml | sha256sum | cut -c1-16)
    if [ -f "$dir/.lock-hash" ] && [ "$(cat "$dir/.lock-hash")" = "$hash" ]; then
        return 0
    fi
    if ! python=$(find_python "$version"); then
        echo "setup: CPython $version not found; install it (e.g. 'pyenv install $version') and run 'make setup' again" >&2
        exit 1
    fi
    echo "setup: building $dir with $python (from $lock)" >&2
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    pip_quiet "$dir/bin/python" -m pip install --quiet --disable-pip-version-check wheel
    # Exact pins only: torch is pinned to the CPU build (torch==2.13.0+cpu), which pip takes
    # from the machine's local wheel folder, so no CUDA build is ever resolved.
    pip_quiet "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
    pip_quiet "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$hash" > "$dir/.lock-hash"
}

make_env .venv-rasa 3.10 requirements/rasa.lock
make_env .venv 3.11 requirements/app.lock
