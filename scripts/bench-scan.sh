#!/usr/bin/env bash
# Benchmarks vulnerability scanning on Azurite and writes the "## Scanning" section of docs/benchmarks.md:
#  - the scan of an image whose one layer is SCAN_MIB MiB (incompressible bytes beside an Alpine package database),
#    against the time to read the same layer from storage with the Azure SDK alone, as a scan reads it (and, for
#    scale, with curl through the registry's redirect);
#  - the scan of a Go program of GO_MIB MiB (incompressible bytes embedded before its build information, as in a
#    large provider binary), against the same read;
#  - re-evaluation of INVENTORIES stored inventories (60 components each) after a database update;
#  - the host's peak memory.
#   scripts/bench-scan.sh      Env: SCAN_MIB=256 GO_MIB=700 INVENTORIES=1000 RUNS=3
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
SCAN_MIB="${SCAN_MIB:-256}"; GO_MIB="${GO_MIB:-700}"; INVENTORIES="${INVENTORIES:-1000}"; RUNS="${RUNS:-3}"
PORT=5120
need skopeo jq
command -v go >/dev/null || need golang-go
export BLOB_INFO_CACHE="$SCRATCH/skopeo-blob-cache"

STORAGE="benchscan$(date +%s)"
start_registry "$PORT" "$STORAGE"
REG="127.0.0.1:$PORT"

echo "== vulnerability database: the test fixture"
jq -s . tests/Registry.Tests/Fixtures/osv/*.json | curl -sf -o /dev/null -X PUT --data-binary @- "http://$REG/api/v0/imagescan/scan/update"

# push_image ROOT TAG: the folder ROOT as the one gzip layer of bench/scan:TAG; sets LAYER and LSIZE.
push_image() {
  local root=$1 tag=$2 layout="$SCRATCH/layout-$2" cfg csize man msize
  mkdir -p "$layout/blobs/sha256"; printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  put() { local d; d=$(sha256sum "$1" | cut -d' ' -f1); mv "$1" "$layout/blobs/sha256/$d"; echo "sha256:$d $(stat -c %s "$layout/blobs/sha256/$d")"; }
  tar -C "$root" -cf - . | gzip -1 > "$SCRATCH/layer.tgz"
  read -r LAYER LSIZE <<<"$(put "$SCRATCH/layer.tgz")"
  echo '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$SCRATCH/config.json"
  read -r cfg csize <<<"$(put "$SCRATCH/config.json")"
  jq -cn --arg c "$cfg" --argjson cs "$csize" --arg l "$LAYER" --argjson ls "$LSIZE" '{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip", digest:$l, size:$ls}]}' > "$SCRATCH/manifest.json"
  read -r man msize <<<"$(put "$SCRATCH/manifest.json")"
  jq -cn --arg d "$man" --argjson s "$msize" '{schemaVersion:2, manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$d, size:$s, annotations:{"org.opencontainers.image.ref.name":"latest"}}]}' > "$layout/index.json"
  rm -rf "$root"
  skopeo copy -q --dest-tls-verify=false "oci:$layout:latest" "docker://$REG/bench/scan:$tag"
  rm -rf "$layout"
}

# measure TAG: reads bench/scan:TAG's layer from storage and scans the image, RUNS times each; sets SDK_S, READ_S,
# SCAN_S and JOB_S (medians) and RUNS_TEXT.
measure() {
  local tag=$1 status
  : > "$SCRATCH/read.s"; : > "$SCRATCH/scan.s"; : > "$SCRATCH/sdk.s"; : > "$SCRATCH/job.times"
  for _ in $(seq 1 "$RUNS"); do
    dotnet "$BENCH" sdk-read "$STORAGE" "$LAYER" | awk '{print $(NF-1)}' >> "$SCRATCH/sdk.s"
    t0=$(now); curl -sfL -o /dev/null "http://$REG/v2/bench/scan/blobs/$LAYER"; t1=$(now); calc "$t1 - $t0" >> "$SCRATCH/read.s"; echo >> "$SCRATCH/read.s"
  done
  for _ in $(seq 1 "$RUNS"); do
    # Each run scans the layer afresh: its stored analysis is removed first.
    dotnet "$BENCH" forget-analysis "$STORAGE" "$LAYER" > /dev/null
    t0=$(now); curl -sf -o /dev/null -X POST "http://$REG/api/v0/imagescan/scan/bench/scan/$tag"
    for _ in $(seq 1 12000); do
      status=$(curl -s "http://$REG/api/v0/imagescan/scansummary/repositories/bench/scan/$tag" | jq -r '.[0].scanStatus')
      [ "$status" = 6 ] && break; [ "$status" = 0 ] && { echo "scan failed" >&2; exit 1; }; sleep 0.05
    done
    t1=$(now); calc "$t1 - $t0" >> "$SCRATCH/scan.s"; echo >> "$SCRATCH/scan.s"
    # The job's own time, without its wait in the queue: from the scan row's start to its completion.
    curl -s "http://$REG/api/v0/imagescan/scansummary/repositories/bench/scan/$tag" \
      | jq -r '.[0].scannedImage | [.scanStartedAt, .checkCompletedAt] | @tsv' >> "$SCRATCH/job.times"
  done
  while IFS=$'\t' read -r started completed; do
    calc "$(date -d "$completed" +%s.%N) - $(date -d "$started" +%s.%N)"; echo
  done < "$SCRATCH/job.times" > "$SCRATCH/job.s"
  SDK_S=$(grep . "$SCRATCH/sdk.s" | median); READ_S=$(grep . "$SCRATCH/read.s" | median); SCAN_S=$(grep . "$SCRATCH/scan.s" | median); JOB_S=$(grep . "$SCRATCH/job.s" | median)
  RUNS_TEXT="SDK read s $(grep . "$SCRATCH/sdk.s" | paste -sd' '); curl read s $(grep . "$SCRATCH/read.s" | paste -sd' '); scan job s $(grep . "$SCRATCH/job.s" | paste -sd' '); request to summary s $(grep . "$SCRATCH/scan.s" | paste -sd' ')"
}

echo "== a $SCAN_MIB MiB image"
R="$SCRATCH/root"; mkdir -p "$R/etc" "$R/lib/apk/db" "$R/data"
printf 'ID=alpine\nVERSION_ID=3.13.5\n' > "$R/etc/os-release"
printf 'P:libssl1.1\nV:1.1.1j-r0\no:openssl\n\n' > "$R/lib/apk/db/installed"
head -c "$((SCAN_MIB * 1024 * 1024))" /dev/urandom > "$R/data/blob.bin"
push_image "$R" latest

echo "== read the layer from storage, then scan it ($RUNS runs each)"
measure latest
CVES=$(curl -s "http://$REG/api/v0/imagescan/scansummary/repositories/bench/scan/latest" | jq -r '[.[0].scannedImage.cves[].cvePK] | join(",")')
SCAN_PEAK=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$HOST_PID/status")
echo "SDK read ${SDK_S} s, curl read ${READ_S} s, scan job ${JOB_S} s, request to summary ${SCAN_S} s (found $CVES), peak RSS ${SCAN_PEAK} MB"
LSIZE_MAIN=$LSIZE; SDK_MAIN=$SDK_S; READ_MAIN=$READ_S; SCAN_MAIN=$SCAN_S; JOB_MAIN=$JOB_S; RUNS_MAIN=$RUNS_TEXT

echo "== a Go program of $GO_MIB MiB (random bytes embedded before its build information)"
G="$SCRATCH/go"; mkdir -p "$G/cmd/big"
printf 'module example.com/big\n\ngo 1.19\n' > "$G/go.mod"
printf 'package main\n\nimport (\n\t_ "embed"\n\t"fmt"\n)\n\n//go:embed pad.bin\nvar pad string\n\nfunc main() { fmt.Println(len(pad)) }\n' > "$G/cmd/big/main.go"
head -c "$((GO_MIB * 1024 * 1024))" /dev/urandom > "$G/cmd/big/pad.bin"
R="$SCRATCH/root"; mkdir -p "$R/usr/local/bin"
(cd "$G" && GOPROXY=off GOCACHE="$SCRATCH/gocache" GOPATH="$SCRATCH/gopath" CGO_ENABLED=0 go build -o "$R/usr/local/bin/big" ./cmd/big)
GO_BYTES=$(stat -c %s "$R/usr/local/bin/big"); rm -rf "$G"
push_image "$R" go
measure go
GO_COMPONENTS=$(curl -s "http://$REG/api/v0/imagescan/scansummary/repositories/bench/scan/go" | jq -r '[.[0].scannedImage.components[] | "\(.name) \(.version)"] | join(", ")')
GO_PEAK=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$HOST_PID/status")
echo "SDK read ${SDK_S} s, scan job ${JOB_S} s (found $GO_COMPONENTS), peak RSS ${GO_PEAK} MB"

echo "== re-evaluation of $INVENTORIES stored inventories"
SEED="$(dotnet "$BENCH" seed-inventories "$STORAGE" "$INVENTORIES")"; echo "$SEED"
t0=$(now); jq -s . tests/Registry.Tests/Fixtures/osv/*.json | curl -sf -o /dev/null -X PUT --data-binary @- "http://$REG/api/v0/imagescan/scan/update"; t1=$(now)
REEVAL_S=$(calc "$t1 - $t0")
PEAK=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$HOST_PID/status")
echo "re-evaluation ${REEVAL_S} s, peak RSS ${PEAK} MB"

RATIO=$(calc "$JOB_MAIN / $SDK_MAIN"); GO_RATIO=$(calc "$JOB_S / $SDK_S")
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo MISSED; }
SECTION="$SCRATCH/section.md"
{
  echo "## Scanning"
  echo
  echo "Produced by \`scripts/bench-scan.sh\` (SCAN_MIB=$SCAN_MIB GO_MIB=$GO_MIB INVENTORIES=$INVENTORIES RUNS=$RUNS) on $(date -u +%F), $(nproc) cores,"
  echo "Azurite in memory, the standalone host (Release). Times are medians of $RUNS runs; a scan is timed from the request"
  echo "to a completed summary, and the job itself from the scan row's start to its completion (layer read and analysis, matching,"
  echo "report, SBOM) without its wait in the queue; each run scans a layer not analysed before."
  echo
  echo "| figure | value | compared with | ratio | target | |"
  echo "|---|---|---|---|---|---|"
  echo "| scan job of a $SCAN_MIB MiB image ($(( LSIZE_MAIN / 1024 / 1024 )) MiB gzip layer) | ${JOB_MAIN} s | reading the layer from storage with the Azure SDK ${SDK_MAIN} s | ${RATIO} | <= 1.5 | $(verdict "$RATIO <= 1.5") |"
  echo "| the same job | ${JOB_MAIN} s | reading the layer with curl through the redirect ${READ_MAIN} s | $(calc "$JOB_MAIN / $READ_MAIN") | none | |"
  echo "| the same, from the request to a completed summary (queue included) | ${SCAN_MAIN} s | SDK read ${SDK_MAIN} s | $(calc "$SCAN_MAIN / $SDK_MAIN") | none | |"
  echo "| scan job of a Go program of $(( GO_BYTES / 1024 / 1024 )) MiB ($(( LSIZE / 1024 / 1024 )) MiB gzip layer) | ${JOB_S} s | SDK read ${SDK_S} s | ${GO_RATIO} | <= 1.5 | $(verdict "$GO_RATIO <= 1.5") |"
  echo "| host peak RSS after the Go program's scans | ${GO_PEAK} MB | | | report | |"
  echo "| re-evaluation of $INVENTORIES stored inventories (database update) | ${REEVAL_S} s | limit 60 s | $(calc "$REEVAL_S / 60") | < 1 | $(verdict "$REEVAL_S < 60") |"
  echo "| host peak RSS after the scans | ${SCAN_PEAK} MB | | | report | |"
  echo "| host peak RSS after the re-evaluation | ${PEAK} MB | | | report | |"
  echo
  echo "Runs, $SCAN_MIB MiB image: $RUNS_MAIN. Found: $CVES. Go program: $RUNS_TEXT. Found: $GO_COMPONENTS. ${SEED#seed-inventories: }."
  echo
} > "$SECTION"
write_section Scanning "$SECTION"
echo "== written to docs/benchmarks.md"
