#!/usr/bin/env bash
# Benchmarks the maintenance work on Azurite and writes the "## Maintenance" section of docs/benchmarks.md:
#  - one garbage collection run (a dry run, then the real one) over REPOS x MANIFESTS image manifests, each with
#    a config and LAYERS layers of its own, every second manifest untagged;
#  - pruning evaluation over TAGS tags of one repository: the dry run, then a policy applied at once.
# Content is written through the registry's own stores (tests/Registry.Bench seed-gc / seed-tags), then the
# standalone host does the work through /api/v0, as a system administrator would ask it to.
#   scripts/bench-maintenance.sh      Env: REPOS=100 MANIFESTS=100 LAYERS=4 TAGS=10000
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
REPOS="${REPOS:-100}"; MANIFESTS="${MANIFESTS:-100}"; LAYERS="${LAYERS:-4}"; TAGS="${TAGS:-10000}"
PORT=5110
need jq

STORAGE="benchmt$(date +%s)"
start_registry "$PORT" "$STORAGE" Registry__Gc__Schedule="0 0 0 1 1 *" Registry__Gc__ManifestGracePeriod=00:00:01 \
  Registry__Gc__BlobGracePeriod=00:00:01 Registry__Gc__TouchInterval=00:00:01
api() { curl -sS -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "http://127.0.0.1:$PORT$2"; }

echo "== seed $((REPOS * MANIFESTS)) manifests with $((LAYERS + 1)) blobs each"
SEED_GC="$(dotnet "$BENCH" seed-gc "$STORAGE" "$REPOS" "$MANIFESTS" "$LAYERS")"; echo "$SEED_GC"
sleep 2   # past the one-second grace periods
RSS_BEFORE=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$HOST_PID/status")

echo "== GC dry run, then the real run"
# DTR's job: POST answers 202 at once; the job is polled until it ends, its result the report
gc_job() {
  local job id
  job=$(api POST /api/v0/jobs "{\"action\":\"onlinegc\",\"parameters\":{\"dryRun\":$1}}"); id=$(jq -r '.id // empty' <<<"$job")
  while [ -n "$id" ] && [ "$(jq -r .status <<<"$job")" = running ]; do sleep 0.1; job=$(api GET "/api/v0/jobs/$id"); done
  echo "$job"
}
t0=$(now); gc_job true > "$SCRATCH/dry.json"; t1=$(now)
gc_job false > "$SCRATCH/gc.json"; t2=$(now)
GC_PEAK=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$HOST_PID/status")
DRY_S=$(calc "$t1 - $t0"); GC_S=$(calc "$t2 - $t1")
r() { jq -r ".result.$1" "$SCRATCH/$2.json"; }
phases() { jq -r 'if .result then .result.phases | to_entries | map("\(.key) \(.value) s") | join(", ") else "no report" end' "$SCRATCH/$1.json"; }
# What a run answered: its report, or the error it answered instead.
outcome() { jq -r 'if .result then "removed \(.result.manifestsDeleted) manifests, \(.result.blobLinksDeleted) links, \(.result.blobsDeleted) blobs (\(.result.bytesFreed) bytes); complete: \(.result.complete)" elif .errors then "failed: \(.errors[0].code): \(.errors[0].message)" else "\(.status): \(.error)" end' "$SCRATCH/$1.json"; }
echo "dry run ${DRY_S} s: $(phases dry); run ${GC_S} s: $(phases gc)"
[ "$(r complete gc)" = true ] || echo "the GC run did not complete within its deadline" >&2
SDK_DELETE="$(dotnet "$BENCH" sdk-delete "$STORAGE" 50)"; echo "$SDK_DELETE"
SDK_DELETE_S=$(echo "$SDK_DELETE" | awk '{print $(NF-1)}')

echo "== pruning over $TAGS tags"
SEED_TAGS="$(dotnet "$BENCH" seed-tags "$STORAGE" bench/pruned "$TAGS")"; echo "$SEED_TAGS"
POLICY='{"enabled":true,"rules":[{"field":"tag","operator":"sw","values":["dev-"]}]}'
ID=$(api POST '/api/v0/repositories/bench/pruned/pruningPolicies?initialEvaluation=false' "$POLICY" | jq -r .id)
t0=$(now); SELECTED=$(api POST /api/v0/repositories/bench/pruned/pruningPolicies/test "$POLICY" | jq length); t1=$(now)
api PUT "/api/v0/repositories/bench/pruned/pruningPolicies/$ID" "$POLICY" > /dev/null; t2=$(now)
REMAINING=0; LAST=""
while :; do
  PAGE=$(curl -s "http://127.0.0.1:$PORT/v2/bench/pruned/tags/list?n=1000${LAST:+&last=$LAST}" | jq -r '.tags[]')
  [ -n "$PAGE" ] || break
  REMAINING=$((REMAINING + $(echo "$PAGE" | wc -l))); LAST=$(echo "$PAGE" | tail -1)
done
PRUNE_DRY_S=$(calc "$t1 - $t0"); PRUNE_S=$(calc "$t2 - $t1")
echo "pruning dry run ${PRUNE_DRY_S} s ($SELECTED selected); applied ${PRUNE_S} s ($REMAINING tags left)"

SECTION="$SCRATCH/section.md"
{
  echo "## Maintenance"
  echo
  echo "Produced by \`scripts/bench-maintenance.sh\` (REPOS=$REPOS MANIFESTS=$MANIFESTS LAYERS=$LAYERS TAGS=$TAGS) on $(date -u +%F),"
  echo "$(nproc) cores, Azurite in memory, the standalone host (Release). Content is written through the registry's own stores;"
  echo "GC and pruning are asked for through \`/api/v0\` and timed from request to answer. ${SEED_GC#seed-gc: }; ${SEED_TAGS#seed-tags: }."
  echo
  echo "| figure | time | what it did |"
  echo "|---|---|---|"
  echo "| GC dry run, $((REPOS * MANIFESTS)) manifests, $(r blobsScanned dry) blobs | ${DRY_S} s | would remove $(r manifestsDeleted dry) manifests, $(r blobLinksDeleted dry) links, $(r blobsDeleted dry) blobs ($(r bytesFreed dry) bytes) |"
  echo "| GC run, same content | ${GC_S} s | $(outcome gc) |"
  echo "| pruning dry run over $TAGS tags | ${PRUNE_DRY_S} s | selected $SELECTED tags |"
  echo "| pruning policy applied (initialEvaluation) | ${PRUNE_S} s | deleted $((TAGS - REMAINING)) tags, $REMAINING left |"
  echo
  echo "Where the GC run's time went: $(phases gc)."
  echo "Dry run: $(phases dry)."
  echo "Host memory: ${RSS_BEFORE} MB RSS before GC, ${GC_PEAK} MB peak after both runs."
  echo "Baseline of the sweep, the Azure SDK alone on the same Azurite after the runs: ${SDK_DELETE#sdk-delete: } ($(calc "$SDK_DELETE_S / 50") s per delete)."
  echo
} > "$SECTION"

write_section Maintenance "$SECTION"
echo "== written to docs/benchmarks.md"
