#!/usr/bin/env bash
# Start or stop the Azure Storage emulator (Azurite, pinned in package.json) in its own process group.
#   scripts/azurite.sh start [--persist]   in memory unless --persist (then data in .azurite/)
#   scripts/azurite.sh stop
# Ports: blob 10000, queue 10001, table 10002 on 127.0.0.1. Log: .azurite.log
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PIDFILE="$ROOT/.azurite.pid"
LOG="$ROOT/.azurite.log"

start() {
  if [ -f "$PIDFILE" ] && kill -0 "-$(cat "$PIDFILE")" 2>/dev/null; then
    echo "azurite already running (process group $(cat "$PIDFILE"))"; return 0
  fi
  [ -x "$ROOT/node_modules/.bin/azurite" ] || (cd "$ROOT" && npm ci --no-audit --no-fund >/dev/null)
  local storage=(--inMemoryPersistence)
  if [ "${1:-}" = "--persist" ]; then storage=(--location "$ROOT/.azurite"); mkdir -p "$ROOT/.azurite"; fi
  setsid "$ROOT/node_modules/.bin/azurite" --skipApiVersionCheck --loose --silent "${storage[@]}" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > "$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:10000/" && curl -s -o /dev/null "http://127.0.0.1:10002/"; then
      echo "azurite up (process group $(cat "$PIDFILE"))"; return 0
    fi
    sleep 0.2
  done
  echo "azurite did not start; log:" >&2; cat "$LOG" >&2; return 1
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pgid; pgid=$(cat "$PIDFILE")
  kill -TERM "-$pgid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "-$pgid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "-$pgid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start [--persist] | stop" >&2; exit 2 ;;
esac
