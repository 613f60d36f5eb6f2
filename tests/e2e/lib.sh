# What the end-to-end scripts share; sourced, not run. Sets HOST (the first argument), HERE, SCRATCH (removed at
# exit), NS (E2E_NS or a new namespace), LOG, the PASS and FAIL counts and these functions:
#   ok NAME, ko NAME REASON, expect NAME WANT GOT   a PASS or FAIL line
#   run COMMAND..., step NAME COMMAND...             run a client (its output in OUT and in LOG), PASS when it succeeds
#   layout_digest DIR [TAG]                          the manifest digest of an OCI layout's tag (default latest)
#   finish                                           the client log on failure, the last line "N passed, N failed"
set -uo pipefail
HOST="${1:?usage: $(basename "$0") HOST:PORT}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
NS="${E2E_NS:-e2e$(date +%s)$RANDOM}"
LOG="$SCRATCH/clients.log"
PASS=0; FAIL=0
ok() { echo "PASS $1"; PASS=$((PASS+1)); }
ko() { echo "FAIL $1: $2"; FAIL=$((FAIL+1)); }
run() { echo "+ $*" >> "$LOG"; OUT=$(timeout 300 "$@" 2>&1); local rc=$?; echo "$OUT" >> "$LOG"; return $rc; }
step() { local name=$1; shift; if run "$@"; then ok "$name"; else ko "$name" "$(tail -n1 <<<"$OUT" | cut -c1-300)"; fi; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "expected '$2', got '$3'"; fi; }
layout_digest() { jq -r --arg t "${2:-latest}" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' "$1/index.json"; }
finish() {
  [ "$FAIL" -eq 0 ] || { echo "# client log:"; tail -n 60 "$LOG"; }
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
