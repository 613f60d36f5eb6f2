#!/usr/bin/env bash
# Garbage collection by timer invocation, through a Functions host (the stand-in under tests/): a tag moves to a
# second image, the Functions host's admin API fires the CollectGarbage timer function, and the first manifest is
# removed while the tag still pulls. Usage: gc-timer.sh HOST:PORT
#   Env: CREDS=user:password (a system administrator), GC_WAIT=seconds (the host's grace periods end within it),
#        E2E_NS=namespace (default: a new one)
# Prints PASS/FAIL lines and a last line "N passed, N failed".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SKC=(--src-tls-verify=false --dest-tls-verify=false --dest-creds "$CREDS" --src-creds "$CREDS")
export BLOB_INFO_CACHE="$SCRATCH/blob-info-cache"

"$HERE/make-images.sh" "$SCRATCH/img" > /dev/null 2>&1 || { echo "FAIL make-images"; echo "0 passed, 1 failed"; exit 1; }
first=$(layout_digest "$SCRATCH/img/tiny"); second=$(layout_digest "$SCRATCH/img/debian11")
step "push gc-timer:t (first image)" skopeo copy "${SKC[@]}" "oci:$SCRATCH/img/tiny:latest" "docker://$HOST/$NS/gc-timer:t"
step "push gc-timer:t (second image)" skopeo copy "${SKC[@]}" "oci:$SCRATCH/img/debian11:latest" "docker://$HOST/$NS/gc-timer:t"
sleep "${GC_WAIT:-3}"
token=$(curl -s -u "$CREDS" "http://$HOST/auth/token?service=registry&scope=repository:$NS/gc-timer:pull" | jq -r .token)
status() { curl -s -o /dev/null -w '%{http_code}' -I -H "Authorization: Bearer $token" \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$HOST/v2/$NS/gc-timer/manifests/$1"; }
expect "the untagged manifest is there before GC" 200 "$(status "$first")"

expect "the admin API fires the timer function" 202 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "http://$HOST/admin/functions/CollectGarbage")"
for _ in $(seq 1 600); do [ "$(status "$first")" = 404 ] && break; sleep 0.2; done
expect "GC by timer removed the untagged manifest" 404 "$(status "$first")"
expect "the tagged manifest stays" 200 "$(status "$second")"
step "pull gc-timer:t after GC" skopeo copy "${SKC[@]}" "docker://$HOST/$NS/gc-timer:t" "oci:$SCRATCH/pulled:latest"
expect "gc-timer:t has its digest after GC" "$second" "$(layout_digest "$SCRATCH/pulled")"
finish
