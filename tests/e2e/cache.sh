#!/usr/bin/env bash
# Pull-through caches with real clients: a cache of this registry's origin (the origin's tokens, its account, its
# permissions) and a cache mirroring the CNCF reference registry (Debian's docker-registry), pulled through with
# skopeo and docker (when DOCKER_HOST names a running dockerd); pushes to a cache are refused, and the mirror fetches
# each blob from its upstream once however many clients pull.
# Usage: cache.sh ORIGIN CACHE UPSTREAM MIRROR   (each HOST:PORT; CACHE caches ORIGIN, MIRROR caches UPSTREAM)
#   Env: CREDS=user:password (an account of the origin), UPSTREAM_LOG=the reference registry's access log,
#        E2E_NS=namespace (default: a new one)
# Prints PASS/FAIL lines and a last line "N passed, N failed".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ORIGIN=$HOST; CACHE=${2:?cache}; UPSTREAM=${3:?upstream}; MIRROR=${4:?mirror}
SKC=(--src-tls-verify=false --dest-tls-verify=false)
export BLOB_INFO_CACHE="$SCRATCH/blob-info-cache"
export REGISTRY_AUTH_FILE="$SCRATCH/auth.json"; echo '{}' > "$REGISTRY_AUTH_FILE"
USER_NAME=${CREDS%%:*}; USER_PASSWORD=${CREDS#*:}

"$HERE/make-images.sh" "$SCRATCH/img" > /dev/null 2>&1 || { echo "FAIL make-images"; echo "0 passed, 1 failed"; exit 1; }
tiny=$(layout_digest "$SCRATCH/img/tiny"); debian=$(layout_digest "$SCRATCH/img/debian11")

# ---- a cache of the origin ----------------------------------------------------------------------------------
step "push to the origin" skopeo copy "${SKC[@]}" --dest-creds "$CREDS" "oci:$SCRATCH/img/tiny:latest" "docker://$ORIGIN/$NS/cached:1"
challenge=$(curl -s -D - -o /dev/null "http://$CACHE/v2/" | tr -d '\r' | grep -i '^www-authenticate:')
if grep -q "realm=\"http://$ORIGIN/auth/token\"" <<<"$challenge"; then ok "the cache sends clients to the origin's token endpoint"
else ko "the cache sends clients to the origin's token endpoint" "$challenge"; fi
if run skopeo copy "${SKC[@]}" "docker://$CACHE/$NS/cached:1" "oci:$SCRATCH/anonymous:latest"; then ko "an anonymous pull of a private repository is refused at the cache" "it went through"
else ok "an anonymous pull of a private repository is refused at the cache"; fi
step "skopeo login at the cache (the origin's account)" skopeo login --tls-verify=false -u "$USER_NAME" -p "$USER_PASSWORD" "$CACHE"
step "skopeo pull through the cache (cold)" skopeo copy "${SKC[@]}" "docker://$CACHE/$NS/cached:1" "oci:$SCRATCH/cold:latest"
expect "the cold pull has the pushed digest" "$tiny" "$(layout_digest "$SCRATCH/cold")"
step "skopeo pull through the cache (warm)" skopeo copy "${SKC[@]}" "docker://$CACHE/$NS/cached:1" "oci:$SCRATCH/warm:latest"
expect "the warm pull has the pushed digest" "$tiny" "$(layout_digest "$SCRATCH/warm")"
if run skopeo copy "${SKC[@]}" "oci:$SCRATCH/img/debian11:latest" "docker://$CACHE/$NS/pushed:1"; then ko "a push to the cache is refused" "it went through"
else grep -qiE "unsupported|405|not allowed" <<<"$OUT" && ok "a push to the cache is refused" || ko "a push to the cache is refused" "$(tail -n1 <<<"$OUT")"; fi

# ---- a mirror of the CNCF reference registry -------------------------------------------------------------------
step "push to the reference registry" skopeo copy "${SKC[@]}" "oci:$SCRATCH/img/debian11:latest" "docker://$UPSTREAM/$NS/mirrored:1"
step "skopeo pull through the mirror" skopeo copy "${SKC[@]}" "docker://$MIRROR/$NS/mirrored:1" "oci:$SCRATCH/mirrored:latest"
expect "the mirrored pull has the upstream's digest" "$debian" "$(layout_digest "$SCRATCH/mirrored")"
step "skopeo pull through the mirror again" skopeo copy "${SKC[@]}" "docker://$MIRROR/$NS/mirrored:1" "oci:$SCRATCH/mirrored2:latest"
step "skopeo inspect through the mirror" skopeo inspect --tls-verify=false "docker://$MIRROR/$NS/mirrored:1"

# ---- docker through both ----------------------------------------------------------------------------------------
DOCKER="$(command -v /usr/bin/docker || command -v docker)"
if [ -n "${DOCKER_HOST:-}" ] && [ -n "$DOCKER" ]; then
  export DOCKER_CONFIG="$SCRATCH/docker-config"
  step "docker login at the cache (the origin's token endpoint)" "$DOCKER" login -u "$USER_NAME" --password-stdin "$CACHE" <<<"$USER_PASSWORD"
  step "docker pull through the cache" "$DOCKER" pull "$CACHE/$NS/cached:1"
  run "$DOCKER" image inspect --format '{{index .RepoDigests 0}}' "$CACHE/$NS/cached:1"
  expect "docker's pull through the cache has the pushed digest" "$tiny" "${OUT##*@}"
  step "docker pull through the mirror" "$DOCKER" pull "$MIRROR/$NS/mirrored:1"
  run "$DOCKER" image inspect --format '{{index .RepoDigests 0}}' "$MIRROR/$NS/mirrored:1"
  expect "docker's pull through the mirror has the upstream's digest" "$debian" "${OUT##*@}"
fi

# every layer and the config went through the mirror once at most, whichever client pulled
if [ -n "${UPSTREAM_LOG:-}" ]; then
  most=$(grep -o "GET /v2/$NS/mirrored/blobs/sha256:[0-9a-f]*" "$UPSTREAM_LOG" | sort | uniq -c | sort -rn | head -n1 | awk '{print $1}')
  expect "the mirror fetched each blob from its upstream once" 1 "${most:-0}"
fi
finish
