#!/usr/bin/env bash
# Create/refresh the virtualenv and build the colcon workspace. Idempotent and fast when nothing
# changed: the venv is only (re)installed when a requirements file changed, and the colcon
# --symlink-install re-build takes seconds.
#
# Usage: tools/setup.sh [test]   ("test" also installs the test tools, the training stack,
#                                 Chromium and the web page)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${KROPBOT_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3}
want_test=${1:-}

reqs=(requirements.txt)
# Test mode also installs the pilot's training stack (torch CPU build, ONNX, matplotlib).
[ "$want_test" = test ] && reqs+=(requirements-test.txt requirements-pilot.txt requirements-train.txt)
stamp="$VENV/.kropbot-reqs-$(cat "${reqs[@]}" | sha256sum | cut -c1-16)"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating virtualenv $VENV"
    "$PY" -m venv "$VENV"
fi
if [ ! -e "$stamp" ]; then
    echo "[setup] installing Python requirements (${reqs[*]})"
    "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
    for r in "${reqs[@]}"; do
        "$VENV/bin/python" -m pip install -q -r "$r" 2>&1 | { grep -v "^WARNING: Location" || true; }
    done
    touch "$stamp"
fi

if [ "$want_test" = test ]; then
    if [ ! -x /usr/bin/chromium ]; then
        echo "[setup] installing Debian chromium for browser tests"
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    fi
fi

# Build the web page if its sources are newer than the built files (needs Node.js/npm only here,
# never on the robot at run time).
if [ -f web/package.json ]; then
    if [ ! -f web/dist/index.html ] || [ -n "$(find web -path web/node_modules -prune -o -path web/dist -prune -o -type f -newer web/dist/index.html -print -quit)" ]; then
        echo "[setup] building the web page (npm)"
        (cd web && { [ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
    fi
fi

echo "[setup] colcon build"
# shellcheck disable=SC1091
source "$VENV/bin/activate"
colcon --log-base log build --symlink-install --base-paths src \
    --event-handlers console_direct- status- summary- >/dev/null
