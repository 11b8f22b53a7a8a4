#!/usr/bin/env bash
# Idempotent set-up: system packages the Swift build needs (libzmq3-dev, libopenblas-dev,
# pkg-config) and the virtual environment .venv from requirements.txt. That is all a
# student needs (`make lab`). With --test (`make test`, `make classroom`) also Debian's
# chromium and chromedriver, which only the browser test uses, and configurable-http-proxy
# for JupyterHub in the classroom run.
# Quiet on success; fast when nothing changed (pip runs only when requirements.txt's
# hash differs from the stamp in .venv/.requirements.sha256).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.sha256"

log() { printf 'setup: %s\n' "$*" >&2; }

# --- apt -------------------------------------------------------------------------
packages=(libzmq3-dev libopenblas-dev pkg-config)
if [ "${1:-}" = "--test" ]; then packages+=(chromium chromium-driver node-configurable-http-proxy); fi
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg -s "$pkg" >/dev/null 2>&1; then missing+=("$pkg"); fi
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- virtual environment ----------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    log "creating .venv"
    "$PYTHON" -m venv "$VENV"
    rm -f "$STAMP"
fi

want="$(sha256sum requirements.txt | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
    log "installing requirements.txt into .venv"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
    printf '%s\n' "$want" >"$STAMP"
fi
