#!/usr/bin/env bash
# One entry point for the common jobs, usable on a fresh machine (it installs what it needs):
#   ./dev.sh demo [PORT]     set up .venv and run the demo server on 127.0.0.1:PORT (default 8080)
#   ./dev.sh test [TOXARGS]  set up tox and run the whole test matrix (what CI runs)
#   ./dev.sh bench [ARGS]    run the benchmarks against upstream eventlet and gevent
set -euo pipefail
cd "$(dirname "$0")"

# Every Python that pyenv has (3.10 to 3.13 here), so that tox finds each interpreter it needs.
if command -v pyenv >/dev/null 2>&1; then
    for bin in "$(pyenv root)"/versions/3.*/bin; do
        case "$bin" in */3.[0-9]/bin|*/3.[0-9].*/bin) continue ;; esac
        PATH="$PATH:$bin"
    done
    export PATH
fi
PYTHON="${PYTHON:-python3}"

venv() {  # venv DIR PACKAGES...: create DIR once, then (re)install PACKAGES into it when needed
    local dir="$1"; shift
    # The install is redone only when what it reads changed: the package list and every
    # pyproject.toml (editable installs pick up code changes by themselves).
    local stamp="$dir/.dev-sh-stamp" want
    want="$(printf '%s\n' "$@"; cat packages/*/pyproject.toml)"
    if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
    printf '%s' "$want" > "$stamp"
}

job="${1:-}"; shift || true
case "$job" in
    demo)
        venv .venv -e packages/eventlet-core -e packages/eventlet-httpd \
            -e packages/eventlet-processes -e packages/eventlet-ssl
        exec .venv/bin/python examples/demo.py --port "${1:-8080}"
        ;;
    test)
        venv .venv-tox "tox>=4.22"
        exec .venv-tox/bin/tox "$@"
        ;;
    bench)
        exec "$PYTHON" benchmarks/run.py "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo [PORT] | test [TOX ARGS] | bench [ARGS]" >&2
        exit 2
        ;;
esac
