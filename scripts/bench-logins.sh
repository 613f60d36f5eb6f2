#!/usr/bin/env bash
# Logins against the registry's other requests. Password checks (PBKDF2) are CPU-bound: a burst of logins could
# starve every other request of the host. The registry runs at most Registry:Auth:MaxConcurrentPasswordChecks of them
# at once (half the cores by default). This script measures, on the standalone host (Release, authentication on),
# logins/s during a burst of LOGINS concurrent logins and the latency of manifest GETs (a steady 100 requests/s from
# 4 connections) alone and during the burst; with the default bound, with one check per core, and with as many
# checks at once as there are logins (no bound), in turn, in one run. Figures go to docs/benchmarks.md, section "Logins".
#   scripts/bench-logins.sh      Env: DURATION=10 LOGINS=50
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
DUR="${DURATION:-10}"; LOGINS="${LOGINS:-50}"
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
PASSWORD=bench-admin-password
need hey jq

# From hey's CSV (one line per request: response time in s first, status code seventh, start offset eighth): a
# percentile of the response times in ms, requests/s from the first start to the last answer, and the 200 answers.
latency() { awk -F, 'NR > 1 { print $1 * 1000 }' "$1" | sort -g | awk -v p="$2" '{ a[NR] = $1 } END { i = int((NR * p + 99) / 100); printf "%.1f", a[i < 1 ? 1 : i] }'; }
rate() { awk -F, 'NR > 1 { n++; if ($8 + $1 > end) end = $8 + $1 } END { printf "%.1f", n / end }' "$1"; }
ok_count() { awk -F, 'NR > 1 && $7 == 200 { n++ } END { print n + 0 }' "$1"; }

measure() {
  local name=$1 port=$2 checks=$3 base="http://127.0.0.1:$2"
  start_registry "$port" "benchlogins$name" Registry__Auth__Enabled=true Registry__Auth__AdminPassword="$PASSWORD" \
    Registry__Auth__TokenLifetime=01:00:00 Registry__Auth__MaxConcurrentPasswordChecks="$checks"
  local token config digest manifest
  token=$(curl -sf -u "admin:$PASSWORD" "$base/auth/token?service=registry&scope=repository:admin/bench:pull,push" | jq -r .token)
  config='{"architecture":"amd64","os":"linux"}'
  digest="sha256:$(printf %s "$config" | sha256sum | cut -d' ' -f1)"
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" --data-binary "$config" "$base/v2/admin/bench/blobs/uploads/?digest=$digest"
  manifest="{\"schemaVersion\":2,\"mediaType\":\"$OCI_MANIFEST\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$digest\",\"size\":${#config}},\"layers\":[]}"
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $token" -H "Content-Type: $OCI_MANIFEST" --data-binary "$manifest" "$base/v2/admin/bench/manifests/latest"

  local gets=(hey -o csv -z "${DUR}s" -c 4 -q 25 -H "Authorization: Bearer $token" -H "Accept: $OCI_MANIFEST" "$base/v2/admin/bench/manifests/latest")
  local logins=(hey -o csv -z "${DUR}s" -c "$LOGINS" -H "Authorization: Basic $(printf 'admin:%s' "$PASSWORD" | base64 -w0)" "$base/auth/token?service=registry")
  hey -n 200 -c 4 -H "Authorization: Bearer $token" -H "Accept: $OCI_MANIFEST" "$base/v2/admin/bench/manifests/latest" > /dev/null
  hey -n 20 -c 2 -H "Authorization: Basic $(printf 'admin:%s' "$PASSWORD" | base64 -w0)" "$base/auth/token?service=registry" > /dev/null
  "${gets[@]}" > "$SCRATCH/idle-$name"
  "${gets[@]}" > "$SCRATCH/busy-$name" &
  local gets_pid=$!
  "${logins[@]}" > "$SCRATCH/logins-$name"
  wait "$gets_pid"
  kill "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""
}

HALF=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
echo "== default bound: $HALF password checks at once; $LOGINS logins at once for ${DUR}s"
measure bounded 5120 "$HALF"
echo "== one per core: $(nproc) password checks at once"
measure cores 5121 "$(nproc)"
echo "== no bound: $LOGINS password checks at once"
measure unbounded 5122 "$LOGINS"
cell() { echo "$("$1" "$SCRATCH/$2-bounded" "${@:3}") | $("$1" "$SCRATCH/$2-cores" "${@:3}") | $("$1" "$SCRATCH/$2-unbounded" "${@:3}")"; }

{
  echo "## Logins"
  echo
  echo "Produced by \`scripts/bench-logins.sh\` (DURATION=$DUR LOGINS=$LOGINS) on $(date -u +%Y-%m-%d), $(nproc) cores: the standalone host"
  echo "(Release, authentication on, Azurite in memory). Logins are GETs of /auth/token with the administrator's password from"
  echo "$LOGINS connections at once for ${DUR} s (hey); manifest GETs are a steady 100 requests/s from 4 connections with a bearer"
  echo "token (hey -q 25 -c 4), alone and during the logins. Three hosts in turn, in one run, differing only in"
  echo "Registry:Auth:MaxConcurrentPasswordChecks: the default (half the cores), one per core, and as many as there are logins."
  echo
  echo "| figure | default: $HALF at once (half the cores) | $(nproc) at once (one per core) | $LOGINS at once (no bound) |"
  echo "|---|---|---|---|"
  echo "| logins/s during the burst | $(cell rate logins) |"
  echo "| logins answered 200 | $(cell ok_count logins) |"
  echo "| GET manifest p50, alone (ms) | $(cell latency idle 50) |"
  echo "| GET manifest p99, alone (ms) | $(cell latency idle 99) |"
  echo "| GET manifest p50, during the logins (ms) | $(cell latency busy 50) |"
  echo "| GET manifest p99, during the logins (ms) | $(cell latency busy 99) |"
  echo "| GET manifest requests/s during the logins (asked: 100) | $(cell rate busy) |"
  echo
  echo "With no bound every login holds a thread-pool thread and a core while it hashes, and manifest GETs wait for both. One"
  echo "check per core frees the thread pool but takes every core, and GETs wait for a core. Half the cores leaves the rest to"
  echo "the registry's other requests: GETs answer as fast as with no logins at all, and logins run at the rate of the cores"
  echo "they are given, each waiting its turn without holding a thread. A host that mostly serves logins can raise the bound."
} > "$SCRATCH/section.md"
cat "$SCRATCH/section.md"
write_section "Logins" "$SCRATCH/section.md"
