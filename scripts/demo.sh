#!/usr/bin/env bash
# `make demo`: start the emulator, `pulumi up` the quickstart (Pulumi.yaml → examples/quickstart),
# print the added instances. `make demo-down`: destroy the stack and stop the emulator.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ENGINE_DIR=$(bash scripts/engine/engine.sh | tail -n 1)
source scripts/pulumi-env.sh
PID_FILE=$STATE_DIR/emulator.pid
URL_FILE=$STATE_DIR/emulator.url
STACK=${STACK:-dev}

emulator_up() {
    if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then return; fi
    : > "$STATE_DIR/emulator.log"
    .venv/bin/python -m pulumi_ehpc_tasks.emulator --port 0 --state "$STATE_DIR/emulator.db" \
        > "$STATE_DIR/emulator.log" 2>&1 &
    echo $! > "$PID_FILE"
    for _ in $(seq 100); do
        url=$(grep -o 'http://[0-9.]*:[0-9]*' "$STATE_DIR/emulator.log" | head -n 1 || true)
        [ -n "$url" ] && { echo "$url" > "$URL_FILE"; break; }
        sleep 0.1
    done
    [ -s "$URL_FILE" ] || { cat "$STATE_DIR/emulator.log"; echo "emulator did not start" >&2; exit 1; }
    echo "E-HPC emulator: $(cat "$URL_FILE") (log: $STATE_DIR/emulator.log)"
}

case "${1:-up}" in
up)
    emulator_up
    pulumi stack select --create "$STACK" --non-interactive >/dev/null
    pulumi config set ehpc:endpoint "$(cat "$URL_FILE")"
    pulumi config set ehpc:region cn-hangzhou
    pulumi config set ehpc:accessKeyId LTAIemulatorDEMO0001
    pulumi config set --secret ehpc:accessKeySecret emulatorDemoSecret0123456789ABCDEF
    pulumi up --yes --non-interactive --skip-preview
    echo
    echo "Stack outputs:"
    pulumi stack output --json
    ;;
down)
    if [ -d "$STATE_DIR/backend/.pulumi" ] && pulumi stack select "$STACK" --non-interactive 2>/dev/null; then
        if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
            pulumi destroy --yes --non-interactive --skip-preview
        fi
        pulumi stack rm --yes --force "$STACK" >/dev/null || true
    fi
    if [ -f "$PID_FILE" ]; then kill "$(cat "$PID_FILE")" 2>/dev/null || true; rm -f "$PID_FILE" "$URL_FILE"; fi
    echo "demo stopped"
    ;;
*) echo "usage: demo.sh up|down" >&2; exit 2 ;;
esac
