#!/usr/bin/env bash
# Create/refresh the virtualenv and build the colcon workspace. Idempotent and fast when nothing
# changed: the venv is only (re)installed when a requirements file changed, and the colcon
# --symlink-install build only runs when a source file changed.
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
# Test mode also installs the desktop client's, the pilot's and the training stack's
# libraries (torch CPU build, ONNX, matplotlib).
[ "$want_test" = test ] && reqs+=(requirements-test.txt requirements-remote.txt requirements-pilot.txt
                                   requirements-train.txt)
# Every pip install here honours constraints.txt (colcon needs setuptools < 80: newer ones make
# its --symlink-install fall back to copies).
export PIP_CONSTRAINT="$ROOT/constraints.txt"
stamp="$VENV/.kropbot-reqs-$(cat "${reqs[@]}" constraints.txt | sha256sum | cut -c1-16)"

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
    # Wheelhouse for the ROS-free install test (src/kropbot_gateway/test/test_install_ros_free.py):
    # the gateway's declared dependencies plus the build backend, downloaded once (again only when
    # a setup.py changes), so the test installs into a fresh venv with --no-index. The packages
    # are resolved from a copy, so no egg-info lands in src/.
    wheelhouse="$VENV/wheelhouse"
    wh_stamp="$wheelhouse/.kropbot-$(cat src/kropbot_gateway/setup.py src/kropbot_common/setup.py | sha256sum | cut -c1-16)"
    if [ ! -e "$wh_stamp" ]; then
        echo "[setup] filling $wheelhouse (kropbot_gateway's dependencies for the offline install test)"
        wh_src=$(mktemp -d)
        cp -r src/kropbot_gateway src/kropbot_common "$wh_src/"
        mkdir -p "$wheelhouse"
        "$VENV/bin/python" -m pip download -q -d "$wheelhouse" "$wh_src/kropbot_gateway" setuptools wheel \
            2>&1 | { grep -v "^WARNING: Location" || true; }
        rm -rf "$wh_src"
        touch "$wh_stamp"
    fi
    # Second venv with the robot's library versions (Ubuntu 24.04 apt + its pip step), for
    # tests/test_noble.py; made when missing or when requirements-noble.txt changed.
    NOBLE_VENV=${KROPBOT_NOBLE_VENV:-$ROOT/.venv-noble}
    noble_stamp="$NOBLE_VENV/.kropbot-reqs-$(sha256sum requirements-noble.txt | cut -c1-16)"
    if [ ! -e "$noble_stamp" ]; then
        echo "[setup] creating $NOBLE_VENV with Ubuntu 24.04's library versions (requirements-noble.txt)"
        rm -rf "$NOBLE_VENV"
        "$PY" -m venv "$NOBLE_VENV"
        "$NOBLE_VENV/bin/python" -m pip install -q -r requirements-noble.txt 2>&1 | { grep -v "^WARNING: Location" || true; }
        touch "$noble_stamp"
    fi
    if [ ! -x /usr/bin/chromium ]; then
        echo "[setup] installing Debian chromium for browser tests"
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    fi
    # The desktop client's window test: a virtual X server, xwd/xwininfo, xdotool (XTEST keys).
    if ! command -v Xvfb >/dev/null || ! command -v xwd >/dev/null \
            || ! command -v xwininfo >/dev/null || ! command -v xdotool >/dev/null; then
        echo "[setup] installing Xvfb and X tools for the desktop client's window test"
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq xvfb x11-apps x11-utils \
            xdotool >/dev/null
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

# colcon build only when a file under src/ (or colcon.meta, or the venv) changed since the last
# build: its no-op run costs ~15 s. The stamp lists every source file with its mtime, so any edit,
# new or removed file rebuilds (a symlink install sees edits of existing Python files anyway;
# new modules, entry points, launch and config files need the build).
# shellcheck disable=SC1091
source "$VENV/bin/activate"
src_hash=$({ echo "$VENV"; find src colcon.meta \( -name build -o -name '*.egg-info' -o -name __pycache__ \
    -o -name .hypothesis -o -name .pytest_cache -o -name '*.pyc' \) -prune -o -type f -printf '%p %T@\n' \
    | LC_ALL=C sort; } | sha256sum | cut -c1-16)
build_stamp="install/.kropbot-src-$src_hash"
if [ -e "$build_stamp" ] && [ -f install/setup.bash ]; then
    echo "[setup] colcon build: up to date"
else
    echo "[setup] colcon build"
    rm -f install/.kropbot-src-*
    colcon --log-base log build --symlink-install --base-paths src \
        --event-handlers console_direct- status- summary- >/dev/null
    touch "$build_stamp"
fi

# Relay commands (docs/DEPLOY.md) as console scripts of the venv: kropbot-gateway (relay gateway)
# and kropbot-router run this checkout's ROS-free kropbot_gateway package, no ROS environment
# needed. (`pip install src/kropbot_gateway[relay]` installs the same commands on a cloud VM.)
for entry in kropbot-gateway:relay_cli kropbot-router:router; do
    script="$VENV/bin/${entry%%:*}"
    cat > "$script.tmp" <<EOF
#!/bin/sh
# Generated by tools/setup.sh of the KropBot checkout $ROOT
PYTHONPATH="$ROOT/src/kropbot_gateway:$ROOT/src/kropbot_common\${PYTHONPATH:+:\$PYTHONPATH}" exec "$VENV/bin/python" -m kropbot_gateway.${entry#*:} "\$@"
EOF
    chmod +x "$script.tmp" && mv "$script.tmp" "$script"
done
