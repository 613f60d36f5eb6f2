#!/usr/bin/env bash
# End-to-end tests with real clients against a running registry (plain HTTP):
# skopeo (push, inspect, list-tags, pull back, copy between repositories, multi-arch, artifacts with
# referrers, Docker schema 2, delete, signing by policy and signed-only pulls with a cosign-format signature made with
# openssl), a chunked upload with curl, podman and buildah (vfs storage, as root), and
# docker when DOCKER_HOST names a running dockerd (login with a password and a personal access token, the refresh
# token docker keeps and its revocation, push, pull by tag and digest, cross-repository mount, a manifest list, an
# immutable-tag refusal, docker search).
# Usage: clients.sh HOST:PORT        Env: SKIP_PODMAN=1, SKIP_BUILDAH=1, BIG_MIB (default 40),
#   E2E_NS=name          the namespace of every repository (default: a new one), to run one suite against two hosts
#   CREDS=user:password  the registry has authentication on: check that anonymous pushes are refused, log in
#                        (skopeo login, podman login, --creds, a personal access token) and run everything logged in;
#                        as a system administrator, also load the OSV fixture of tests/Registry.Tests/Fixtures and
#                        scan Alpine 3.13 and Debian 11 images for their known CVEs
#   MIRROR_REMOTE=host:port  a registry without authentication (the CNCF reference registry) to push-mirror an image
#                        and a multi-arch index to (DTR's pushMirroring), then pull them from it with skopeo; a push
#                        mirroring policy sends tags there, and a poll mirroring policy brings one back
#   GC_WAIT=seconds      with CREDS (a system administrator): leave a manifest untagged, wait, run GC through
#                        /api/v0/jobs and pull everything again; the host's grace periods must end within GC_WAIT
# Prints PASS/FAIL lines and a last line "N passed, N failed"; exits 1 when anything failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SK=(--tls-verify=false)
export CONTAINERS_REGISTRIES_CONF="$SCRATCH/registries.conf"
printf 'unqualified-search-registries = []\n[[registry]]\nlocation = "%s"\ninsecure = true\n' "$HOST" > "$CONTAINERS_REGISTRIES_CONF"
# skopeo keeps a cache of where blobs went; a private one keeps runs independent
export BLOB_INFO_CACHE="$SCRATCH/blob-info-cache"
SKC=(--src-tls-verify=false --dest-tls-verify=false)

"$HERE/make-images.sh" "$SCRATCH/img" "${BIG_MIB:-40}" >> "$LOG" 2>&1 || { echo "FAIL make-images"; echo "0 passed, 1 failed"; exit 1; }
IMG="$SCRATCH/img"
# every client reads the same auth file; it starts empty
export REGISTRY_AUTH_FILE="$SCRATCH/auth.json"
echo '{}' > "$REGISTRY_AUTH_FILE"; echo '{}' > "$SCRATCH/empty-auth.json"
# bearer SCOPE: a token for curl (empty without CREDS)
bearer() { [ -n "${CREDS:-}" ] && curl -s -u "$CREDS" "http://$HOST/auth/token?service=registry&scope=$1" | jq -r .token; }
curl_get() { local t; t=$(bearer "$1"); shift; if [ -n "$t" ]; then curl -s -H "Authorization: Bearer $t" "$@"; else curl -s "$@"; fi; }

if [ -n "${CREDS:-}" ]; then
  USER_NAME=${CREDS%%:*}; USER_PASSWORD=${CREDS#*:}
  expect "GET /v2/ without a token answers 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST/v2/")"
  if run skopeo copy "${SKC[@]}" "oci:$IMG/tiny:latest" "docker://$HOST/$NS/anonymous:latest"; then ko "anonymous push refused" "the push went through"
  else grep -qiE "unauthorized|authentication required|denied" <<<"$OUT" && ok "anonymous push refused" || ko "anonymous push refused" "$(tail -n1 <<<"$OUT")"; fi
  if run skopeo login --tls-verify=false -u "$USER_NAME" -p wrong-password "$HOST"; then ko "skopeo login with a wrong password fails" "it succeeded"
  else ok "skopeo login with a wrong password fails"; fi
  step "skopeo login" skopeo login --tls-verify=false -u "$USER_NAME" -p "$USER_PASSWORD" "$HOST"
  pat=$(curl -s -u "$CREDS" -H 'Content-Type: application/json' -d '{"tokenLabel":"e2e"}' "http://$HOST/api/v0/api_tokens" | jq -r .token)
  step "skopeo copy with a personal access token (--dest-creds)" skopeo copy --dest-tls-verify=false --dest-creds "$USER_NAME:$pat" \
    --authfile "$SCRATCH/empty-auth.json" "oci:$IMG/tiny:latest" "docker://$HOST/$NS/with-pat:latest"
else
  expect "GET /v2/ answers 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST/v2/")"
fi

# ---- push, inspect, list-tags, pull back ------------------------------------------------
for n in tiny big; do
  want=$(layout_digest "$IMG/$n")
  step "skopeo push $n" skopeo copy "${SKC[@]}" --digestfile "$SCRATCH/$n.pushed" "oci:$IMG/$n:latest" "docker://$HOST/$NS/$n:latest"
  expect "skopeo push $n keeps the digest" "$want" "$(cat "$SCRATCH/$n.pushed" 2>/dev/null)"
  if run skopeo inspect "${SK[@]}" "docker://$HOST/$NS/$n:latest"; then
    expect "skopeo inspect $n" "$want" "$(jq -r .Digest <<<"$OUT")"
  else ko "skopeo inspect $n" "$(tail -n1 <<<"$OUT")"; fi
  step "skopeo pull $n" skopeo copy "${SKC[@]}" "docker://$HOST/$NS/$n:latest" "oci:$SCRATCH/pull-$n:latest"
  expect "skopeo pull $n has the pushed digest" "$want" "$(layout_digest "$SCRATCH/pull-$n")"
  layer=$(jq -r '.layers[0].digest' "$IMG/$n/blobs/sha256/${want#sha256:}")
  expect "pulled $n layer is byte-identical" ok "$(cmp -s "$IMG/$n/blobs/sha256/${layer#sha256:}" "$SCRATCH/pull-$n/blobs/sha256/${layer#sha256:}" && echo ok)"
done
if run skopeo list-tags "${SK[@]}" "docker://$HOST/$NS/tiny"; then
  expect "skopeo list-tags" latest "$(jq -r '.Tags|join(",")' <<<"$OUT")"
else ko "skopeo list-tags" "$(tail -n1 <<<"$OUT")"; fi

# ---- chunked upload (PATCH with Content-Range, as the spec's chunked push) ------------------------
head -c 6291456 /dev/urandom > "$SCRATCH/chunked.bin"
cdigest="sha256:$(sha256sum "$SCRATCH/chunked.bin" | cut -d' ' -f1)"
head -c 4194304 "$SCRATCH/chunked.bin" > "$SCRATCH/chunk1"; tail -c 2097152 "$SCRATCH/chunked.bin" > "$SCRATCH/chunk2"
ctoken=$(bearer "repository:$NS/chunked:pull,push")
cauth=(); [ -n "$ctoken" ] && cauth=(-H "Authorization: Bearer $ctoken")
location() { grep -i '^location:' "$1" | tr -d '\r' | cut -d' ' -f2 | sed "s|^/|http://$HOST/|"; }
curl -s -o /dev/null -D "$SCRATCH/c0" "${cauth[@]}" -X POST "http://$HOST/v2/$NS/chunked/blobs/uploads/"
code1=$(curl -s -o /dev/null -w '%{http_code}' -D "$SCRATCH/c1" "${cauth[@]}" -X PATCH -H 'Content-Type: application/octet-stream' \
  -H 'Content-Range: 0-4194303' --data-binary @"$SCRATCH/chunk1" "$(location "$SCRATCH/c0")")
code2=$(curl -s -o /dev/null -w '%{http_code}' -D "$SCRATCH/c2" "${cauth[@]}" -X PATCH -H 'Content-Type: application/octet-stream' \
  -H 'Content-Range: 4194304-6291455' --data-binary @"$SCRATCH/chunk2" "$(location "$SCRATCH/c1")")
next=$(location "$SCRATCH/c2"); case $next in *\?*) sep='&' ;; *) sep='?' ;; esac
code3=$(curl -s -o /dev/null -w '%{http_code}' "${cauth[@]}" -X PUT "$next${sep}digest=$cdigest")
expect "chunked upload: two PATCHes, then PUT" "202 202 201" "$code1 $code2 $code3"
expect "chunked upload: the blob reads back" "$cdigest" "sha256:$(curl -s -L "${cauth[@]}" "http://$HOST/v2/$NS/chunked/blobs/$cdigest" | sha256sum | cut -d' ' -f1)"

# ---- copy between repositories (cross-repository mount) -----------------------------------
step "skopeo copy between repositories" skopeo --debug copy "${SKC[@]}" "docker://$HOST/$NS/tiny:latest" "docker://$HOST/$NS/copied:v1"
grep -q "mount OK" <<<"$OUT" && ok "copy mounted the layer (no upload)" || ko "copy mounted the layer (no upload)" "$(grep -i 'mount' <<<"$OUT" | head -1)"
if run skopeo inspect "${SK[@]}" "docker://$HOST/$NS/copied:v1"; then
  expect "copied image has the same digest" "$(layout_digest "$IMG/tiny")" "$(jq -r .Digest <<<"$OUT")"
else ko "inspect copied image" "$(tail -n1 <<<"$OUT")"; fi

# ---- multi-arch ---------------------------------------------------------------------------
want=$(layout_digest "$IMG/multiarch")
step "skopeo copy --all multi-arch" skopeo copy --all "${SKC[@]}" --digestfile "$SCRATCH/multi.pushed" "oci:$IMG/multiarch:latest" "docker://$HOST/$NS/multi:latest"
expect "multi-arch index digest kept" "$want" "$(cat "$SCRATCH/multi.pushed" 2>/dev/null)"
if run skopeo inspect "${SK[@]}" --raw "docker://$HOST/$NS/multi:latest"; then
  expect "multi-arch index lists both platforms" "amd64,arm64" "$(jq -r '[.manifests[].platform.architecture]|sort|join(",")' <<<"$OUT")"
else ko "inspect multi-arch" "$(tail -n1 <<<"$OUT")"; fi
step "skopeo pull --all multi-arch" skopeo copy --all "${SKC[@]}" "docker://$HOST/$NS/multi:latest" "oci:$SCRATCH/pull-multi:latest"
expect "pulled index has the pushed digest" "$want" "$(layout_digest "$SCRATCH/pull-multi")"
if run skopeo inspect "${SK[@]}" --override-arch arm64 "docker://$HOST/$NS/multi:latest"; then
  expect "platform resolution picks arm64" arm64 "$(jq -r .Architecture <<<"$OUT")"
else ko "inspect arm64" "$(tail -n1 <<<"$OUT")"; fi

# ---- push mirroring to another registry (DTR's pushMirroring), then pulled from there ----------------
if [ -n "${MIRROR_REMOTE:-}" ] && curl -s -o /dev/null "http://$MIRROR_REMOTE/v2/"; then
  for pair in "copied:v1:tiny" "multi:latest:multiarch"; do
    IFS=: read -r repo tag layout <<<"$pair"
    mirrored=$(curl -s ${CREDS:+-u "$CREDS"} -H 'Content-Type: application/json' \
      -d "{\"remoteHost\":\"http://$MIRROR_REMOTE\",\"remoteRepository\":\"mirrored/$NS-$repo\",\"remoteTag\":\"$tag\"}" \
      "http://$HOST/api/v0/repositories/$NS/$repo/tags/$tag/pushMirroring")
    expect "push mirroring $repo:$tag answers its digest" "$(layout_digest "$IMG/$layout")" "$(jq -r .digest <<<"$mirrored" 2>/dev/null)"
    step "skopeo pull $repo:$tag from the remote" skopeo copy --all --src-tls-verify=false "docker://$MIRROR_REMOTE/mirrored/$NS-$repo:$tag" "oci:$SCRATCH/mirrored-$repo:$tag"
    expect "the remote's $repo:$tag has the digest" "$(layout_digest "$IMG/$layout")" "$(layout_digest "$SCRATCH/mirrored-$repo" "$tag")"
  done
  # a push mirroring policy: the tag there at its creation and a tag pushed after it reach the remote as <tag>-m
  remote_policy() { printf '{"enabled":true,"remoteHost":"http://%s","remoteRepository":"%s"%s}' "$MIRROR_REMOTE" "$1" "${2:-}"; }
  tiny=$(layout_digest "$IMG/tiny")
  step "skopeo push policied:seed" skopeo copy "${SKC[@]}" "oci:$IMG/tiny:latest" "docker://$HOST/$NS/policied:seed"
  code=$(curl -s -o /dev/null -w '%{http_code}' ${CREDS:+-u "$CREDS"} -H 'Content-Type: application/json' \
    -d "$(remote_policy "mirrored/$NS-policied" ',"rules":[],"tagTemplate":"%n-m"')" "http://$HOST/api/v0/repositories/$NS/policied/pushMirroringPolicies")
  expect "push mirroring policy created" 201 "$code"
  step "skopeo push policied:v1" skopeo copy "${SKC[@]}" "oci:$IMG/tiny:latest" "docker://$HOST/$NS/policied:v1"
  # (another host's run of the suite may have pushed these tags before, with other images: wait for this run's)
  for tag in seed-m v1-m; do
    for _ in $(seq 1 120); do
      remote_digest=$(run skopeo inspect --tls-verify=false "docker://$MIRROR_REMOTE/mirrored/$NS-policied:$tag" && jq -r .Digest <<<"$OUT")
      [ "$remote_digest" = "$tiny" ] && break; sleep 0.5
    done
    expect "the policy pushed policied as $tag" "$tiny" "$remote_digest"
  done
  # a poll mirroring policy: the remote's copied:v1 brought into a local repository
  step "skopeo push polled:seed" skopeo copy "${SKC[@]}" "oci:$IMG/tiny:latest" "docker://$HOST/$NS/polled:seed"
  code=$(curl -s -o /dev/null -w '%{http_code}' ${CREDS:+-u "$CREDS"} -H 'Content-Type: application/json' \
    -d "$(remote_policy "mirrored/$NS-copied")" "http://$HOST/api/v0/repositories/$NS/polled/pollMirroringPolicies")
  expect "poll mirroring policy created" 201 "$code"
  for _ in $(seq 1 120); do
    polled=$(curl -s ${CREDS:+-u "$CREDS"} "http://$HOST/api/v0/repositories/$NS/polled/tags" | jq -r '.[] | select(.name=="v1") | .digest')
    [ -n "$polled" ] && break; sleep 0.5
  done
  expect "the poll policy brought copied:v1" "$(layout_digest "$IMG/tiny")" "$polled"
  step "skopeo pull polled:v1" skopeo copy "${SKC[@]}" "docker://$HOST/$NS/polled:v1" "oci:$SCRATCH/polled:v1"
fi

# ---- artifacts and referrers ----------------------------------------------------------------
subject=$(layout_digest "$IMG/artifact" latest); sbom=$(layout_digest "$IMG/artifact" sbom)
step "skopeo push image for referrers" skopeo copy "${SKC[@]}" "oci:$IMG/artifact:latest" "docker://$HOST/$NS/signed:latest"
step "skopeo push SBOM artifact with subject" skopeo copy "${SKC[@]}" --digestfile "$SCRATCH/sbom.pushed" "oci:$IMG/artifact:sbom" "docker://$HOST/$NS/signed:sbom"
expect "artifact digest kept" "$sbom" "$(cat "$SCRATCH/sbom.pushed" 2>/dev/null)"
refs=$(curl_get "repository:$NS/signed:pull" "http://$HOST/v2/$NS/signed/referrers/$subject")
expect "referrers lists the SBOM" "$sbom application/spdx+json" "$(jq -r '.manifests[] | "\(.digest) \(.artifactType)"' <<<"$refs")"
filtered=$(curl_get "repository:$NS/signed:pull" -D "$SCRATCH/h" "http://$HOST/v2/$NS/signed/referrers/$subject?artifactType=application/vnd.example.none")
expect "referrers filter by artifactType" "0 yes" "$(jq '.manifests|length' <<<"$filtered") $(grep -qi '^OCI-Filters-Applied: artifactType' "$SCRATCH/h" && echo yes)"
step "skopeo pull SBOM artifact" skopeo copy "${SKC[@]}" "docker://$HOST/$NS/signed:sbom" "oci:$SCRATCH/pull-sbom:sbom"
expect "pulled artifact digest" "$sbom" "$(layout_digest "$SCRATCH/pull-sbom" sbom)"

# ---- Docker schema 2 ------------------------------------------------------------------------
step "skopeo push as Docker v2s2" skopeo copy "${SKC[@]}" --format v2s2 "oci:$IMG/tiny:latest" "docker://$HOST/$NS/v2s2:latest"
if run skopeo inspect "${SK[@]}" --raw "docker://$HOST/$NS/v2s2:latest"; then
  expect "v2s2 manifest served as pushed" application/vnd.docker.distribution.manifest.v2+json "$(jq -r .mediaType <<<"$OUT")"
else ko "inspect v2s2" "$(tail -n1 <<<"$OUT")"; fi

# ---- delete -----------------------------------------------------------------------------------
d=$(layout_digest "$IMG/tiny")
step "skopeo delete by digest" skopeo delete "${SK[@]}" "docker://$HOST/$NS/tiny@$d"
if run skopeo inspect "${SK[@]}" "docker://$HOST/$NS/tiny:latest"; then ko "deleted image is gone" "still readable"; else ok "deleted image is gone"; fi
if run skopeo inspect "${SK[@]}" "docker://$HOST/$NS/copied:v1"; then ok "other repository keeps its copy"; else ko "other repository keeps its copy" "$(tail -n1 <<<"$OUT")"; fi

# ---- signing and signed-only pulls -----------------------------------------------------------------
# api ARGS: curl of /api/v0 as the user of CREDS (a repository admin), or anonymously without CREDS
api() { if [ -n "${CREDS:-}" ]; then curl -s -u "$CREDS" "$@"; else curl -s "$@"; fi; }
signed=$(layout_digest "$IMG/alpine313")
step "skopeo push trusted:unsigned" skopeo copy "${SKC[@]}" "oci:$IMG/alpine313:latest" "docker://$HOST/$NS/trusted:unsigned"
code=$(api -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' -d '{"enforce":true}' "http://$HOST/api/v0/repositories/$NS/trusted/trustPolicy")
expect "trust policy set (registry CA trusted)" 200 "$code"
if run skopeo copy "${SKC[@]}" "docker://$HOST/$NS/trusted:unsigned" "oci:$SCRATCH/trusted:unsigned"; then ko "skopeo pull refused while unsigned" "the pull went through"
else grep -qi "denied" <<<"$OUT" && ok "skopeo pull refused while unsigned" || ko "skopeo pull refused while unsigned" "$(tail -n1 <<<"$OUT")"; fi
code=$(api -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"rules":[{"field":"tag","operator":"eq","values":["release"]}]}' \
  "http://$HOST/api/v0/repositories/$NS/trusted/signingPolicies")
expect "signing policy created" 201 "$code"
step "skopeo push trusted:release (the policy signs it)" skopeo copy "${SKC[@]}" "oci:$IMG/alpine313:latest" "docker://$HOST/$NS/trusted:release"
for _ in $(seq 1 240); do
  refs=$(curl_get "repository:$NS/trusted:pull" "http://$HOST/v2/$NS/trusted/referrers/$signed?artifactType=application/vnd.cncf.notary.signature")
  [ "$(jq '.manifests|length' <<<"$refs")" = 1 ] && break; sleep 0.5
done
expect "the referrers API lists the registry's signature" 1 "$(jq '.manifests|length' <<<"$refs")"
expect "the signature verifies" "notation-cose true" "$(api "http://$HOST/api/v0/repositories/$NS/trusted/manifests/$signed/signatures" | jq -r '.[0] | "\(.envelope) \(.valid)"')"
step "skopeo pull served once signed" skopeo copy "${SKC[@]}" "docker://$HOST/$NS/trusted:unsigned" "oci:$SCRATCH/trusted:unsigned"
expect "pulled the signed digest" "$signed" "$(layout_digest "$SCRATCH/trusted" unsigned)"
api "http://$HOST/api/v0/signing/ca" > "$SCRATCH/registry-ca.pem"
expect "the registry's CA is published" yes "$(openssl x509 -in "$SCRATCH/registry-ca.pem" -noout -text 2>/dev/null | grep -q 'CA:TRUE' && echo yes)"
# a cosign-format signature made with openssl (ECDSA P-256 over the simple-signing payload), under cosign's tag
step "skopeo push trusted:cosigned" skopeo copy "${SKC[@]}" --digestfile "$SCRATCH/cosigned.digest" "oci:$IMG/artifact:latest" "docker://$HOST/$NS/trusted:cosigned"
cosigned=$(cat "$SCRATCH/cosigned.digest")
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/cosign.key" 2>/dev/null && openssl ec -in "$SCRATCH/cosign.key" -pubout -out "$SCRATCH/cosign.pub" 2>/dev/null
printf '{"critical":{"identity":{"docker-reference":"%s/%s/trusted"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
  "$HOST" "$NS" "$cosigned" > "$SCRATCH/payload"
openssl dgst -sha256 -sign "$SCRATCH/cosign.key" -out "$SCRATCH/payload.sig" "$SCRATCH/payload"
printf '{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}' > "$SCRATCH/sigconfig"
token=$(bearer "repository:$NS/trusted:pull,push"); auth=(); [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
for f in sigconfig payload; do
  curl -s -o /dev/null "${auth[@]}" --data-binary "@$SCRATCH/$f" "http://$HOST/v2/$NS/trusted/blobs/uploads/?digest=sha256:$(sha256sum "$SCRATCH/$f" | cut -d' ' -f1)"
done
jq -n --arg c "sha256:$(sha256sum "$SCRATCH/sigconfig" | cut -d' ' -f1)" --argjson cs "$(stat -c %s "$SCRATCH/sigconfig")" \
  --arg p "sha256:$(sha256sum "$SCRATCH/payload" | cut -d' ' -f1)" --argjson ps "$(stat -c %s "$SCRATCH/payload")" --arg s "$(base64 -w0 "$SCRATCH/payload.sig")" \
  '{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
    layers:[{mediaType:"application/vnd.dev.cosign.simplesigning.v1+json",digest:$p,size:$ps,annotations:{"dev.cosignproject.cosign/signature":$s}}]}' > "$SCRATCH/sig.json"
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$SCRATCH/sig.json" \
  "http://$HOST/v2/$NS/trusted/manifests/${cosigned/:/-}.sig")
expect "cosign signature pushed under its tag" 201 "$code"
if run skopeo copy "${SKC[@]}" "docker://$HOST/$NS/trusted:cosigned" "oci:$SCRATCH/cosigned:latest"; then ko "cosign signature by an untrusted key refused" "the pull went through"
else grep -qi "denied" <<<"$OUT" && ok "cosign signature by an untrusted key refused" || ko "cosign signature by an untrusted key refused" "$(tail -n1 <<<"$OUT")"; fi
jq -n --rawfile k "$SCRATCH/cosign.pub" '{enforce:true,publicKeys:[$k]}' > "$SCRATCH/trust.json"
code=$(api -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary "@$SCRATCH/trust.json" "http://$HOST/api/v0/repositories/$NS/trusted/trustPolicy")
expect "trust policy trusts the cosign key" 200 "$code"
step "skopeo pull served with a trusted cosign signature" skopeo copy "${SKC[@]}" "docker://$HOST/$NS/trusted:cosigned" "oci:$SCRATCH/cosigned:latest"

# ---- podman -----------------------------------------------------------------------------------
if [ "${SKIP_PODMAN:-0}" != 1 ] && command -v podman >/dev/null; then
  P=(podman --root "$SCRATCH/podman/root" --runroot "$SCRATCH/podman/run" --storage-driver vfs)
  if [ -n "${CREDS:-}" ]; then
    step "podman logout, then login" "${P[@]}" logout "$HOST"
    if run "${P[@]}" pull --tls-verify=false "$HOST/$NS/copied:v1"; then ko "podman pull of a private image needs a login" "it went through"
    else ok "podman pull of a private image needs a login"; fi
    step "podman pull --creds" "${P[@]}" pull --tls-verify=false --creds "$USER_NAME:$USER_PASSWORD" "$HOST/$NS/copied:v1"
    step "podman login" "${P[@]}" login --tls-verify=false -u "$USER_NAME" -p "$USER_PASSWORD" "$HOST"
  fi
  step "podman pull" "${P[@]}" pull --tls-verify=false "$HOST/$NS/copied:v1"
  step "podman tag" "${P[@]}" tag "$HOST/$NS/copied:v1" "$HOST/$NS/podman:latest"
  step "podman push" "${P[@]}" push --tls-verify=false --digestfile "$SCRATCH/podman.pushed" "$HOST/$NS/podman:latest"
  run "${P[@]}" rmi -f "$HOST/$NS/podman:latest" "$HOST/$NS/copied:v1"
  step "podman pull what podman pushed" "${P[@]}" pull --tls-verify=false "$HOST/$NS/podman:latest"
  run "${P[@]}" image inspect --format '{{.Digest}}' "$HOST/$NS/podman:latest"
  expect "podman round trip digest" "$(cat "$SCRATCH/podman.pushed" 2>/dev/null)" "$OUT"
  step "podman pull --arch arm64" "${P[@]}" pull --tls-verify=false --arch arm64 "$HOST/$NS/multi:latest"
  run "${P[@]}" image inspect --format '{{.Architecture}}' "$HOST/$NS/multi:latest"
  expect "podman pulled arm64" arm64 "$OUT"
fi

# ---- buildah ----------------------------------------------------------------------------------
if [ "${SKIP_BUILDAH:-0}" != 1 ] && command -v buildah >/dev/null; then
  B=(buildah --root "$SCRATCH/buildah/root" --runroot "$SCRATCH/buildah/run" --storage-driver vfs)
  export BUILDAH_ISOLATION=chroot
  echo "built by buildah $NS" > "$SCRATCH/b.txt"
  if run "${B[@]}" from scratch; then
    c=$OUT
    run "${B[@]}" copy "$c" "$SCRATCH/b.txt" /b.txt
    run "${B[@]}" config --label org.example.e2e=buildah "$c"
    step "buildah commit" "${B[@]}" commit --format oci "$c" localhost/e2e-buildah:latest
    step "buildah push" "${B[@]}" push --tls-verify=false localhost/e2e-buildah:latest "docker://$HOST/$NS/buildah:latest"
    if run skopeo inspect "${SK[@]}" "docker://$HOST/$NS/buildah:latest"; then
      expect "buildah image readable" buildah "$(jq -r '.Labels["org.example.e2e"]' <<<"$OUT")"
    else ko "inspect buildah image" "$(tail -n1 <<<"$OUT")"; fi
    step "buildah pull" "${B[@]}" pull --tls-verify=false "$HOST/$NS/buildah:latest"
  else ko "buildah from scratch" "$(tail -n1 <<<"$OUT")"; fi
fi

# ---- docker (needs DOCKER_HOST of a running dockerd, and CREDS) ---------------------------------------------
DOCKER="$(command -v /usr/bin/docker || command -v docker)"
if [ -n "${DOCKER_HOST:-}" ] && [ -n "${CREDS:-}" ] && [ -n "$DOCKER" ]; then
  export DOCKER_CONFIG="$SCRATCH/docker-config"
  D=("$DOCKER")
  step "docker login with a password" "${D[@]}" login -u "$USER_NAME" --password-stdin "$HOST" <<<"$USER_PASSWORD"
  step "docker pull by tag" "${D[@]}" pull "$HOST/$NS/copied:v1"
  run "${D[@]}" image inspect --format '{{index .RepoDigests 0}}' "$HOST/$NS/copied:v1"; pulled=${OUT##*@}
  expect "docker pull by tag has the pushed digest" "$(layout_digest "$IMG/tiny")" "$pulled"
  step "docker pull by digest" "${D[@]}" pull "$HOST/$NS/copied@$pulled"
  # docker login keeps a refresh token (identitytoken), not the password, and each pull refreshes with it; revoking the
  # account's sessions ends it at once, and a new login starts another
  auth_entry=$(jq -c --arg h "$HOST" '.auths[$h]' "$DOCKER_CONFIG/config.json")
  if [ -n "$(jq -r '.identitytoken // empty' <<<"$auth_entry")" ] && [ "$(jq -r .auth <<<"$auth_entry" | base64 -d)" = "$USER_NAME:" ]; then
    ok "docker login keeps a refresh token, not the password"
  else ko "docker login keeps a refresh token, not the password" "$auth_entry"; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "$CREDS" -X DELETE "http://$HOST/enzi/v0/accounts/$USER_NAME/sessions")
  expect "the account's sessions revoked" 204 "$code"
  if run "${D[@]}" pull "$HOST/$NS/copied:v1"; then ko "docker pull with a revoked refresh token is refused" "it went through"
  else grep -q "invalid refresh token" <<<"$OUT" && ok "docker pull with a revoked refresh token is refused" \
    || ko "docker pull with a revoked refresh token is refused" "$(tail -n1 <<<"$OUT")"; fi
  step "docker login again with the password" "${D[@]}" login -u "$USER_NAME" --password-stdin "$HOST" <<<"$USER_PASSWORD"
  step "docker pull with the new session" "${D[@]}" pull "$HOST/$NS/copied:v1"
  run "${D[@]}" tag "$HOST/$NS/copied:v1" "$HOST/$NS/docker:v1"
  step "docker push of a pulled image" "${D[@]}" push "$HOST/$NS/docker:v1"
  grep -q "Mounted from $NS/copied" <<<"$OUT" && ok "docker push mounted the layer from the other repository" \
    || ko "docker push mounted the layer from the other repository" "$(tail -n3 <<<"$OUT" | tr '\n' ' ')"
  mkdir -p "$SCRATCH/dimg"; head -c 1048576 /dev/urandom > "$SCRATCH/dimg/data"; tar -C "$SCRATCH/dimg" -cf "$SCRATCH/dimg.tar" data
  step "docker import" "${D[@]}" import "$SCRATCH/dimg.tar" "$HOST/$NS/docker-new:v1"
  step "docker push of new content" "${D[@]}" push "$HOST/$NS/docker-new:v1"
  pushed=$(grep -o 'digest: sha256:[0-9a-f]*' <<<"$OUT" | cut -d' ' -f2)
  run "${D[@]}" rmi "$HOST/$NS/docker-new:v1"
  step "docker pull of new content by digest" "${D[@]}" pull "$HOST/$NS/docker-new@$pushed"
  # docker search asks the registry's /v1/search: a public repository is found, as the anonymous find it
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "$CREDS" -X PATCH -H 'Content-Type: application/json' -d '{"visibility":"public"}' \
    "http://$HOST/api/v0/repositories/$NS/docker-new")
  expect "repository made public" 200 "$code"
  found=""
  for _ in $(seq 1 60); do   # the search reads its snapshot of names again every 10 s
    run "${D[@]}" search --format '{{.Name}}' "$HOST/docker-new" && found=$(grep -x "$NS/docker-new" <<<"$OUT" || true)
    [ -n "$found" ] && break; sleep 0.5
  done
  expect "docker search finds the public repository" "$NS/docker-new" "$found"
  step "docker logout" "${D[@]}" logout "$HOST"
  step "docker login with a personal access token" "${D[@]}" login -u "$USER_NAME" --password-stdin "$HOST" <<<"$pat"
  run "${D[@]}" tag "$HOST/$NS/copied:v1" "$HOST/$NS/docker-pat:v1"
  step "docker push with a personal access token" "${D[@]}" push "$HOST/$NS/docker-pat:v1"
  # docker's manifest list names Docker schema 2 images (it does not accept OCI manifests, as distribution answers it)
  for arch in amd64 arm64; do
    step "skopeo push multi-arch's $arch image as Docker v2s2" skopeo copy "${SKC[@]}" --override-arch "$arch" --format v2s2 \
      "oci:$IMG/multiarch:latest" "docker://$HOST/$NS/multi:v2s2-$arch"
  done
  step "docker manifest create" "${D[@]}" manifest create --insecure "$HOST/$NS/multi:docker-list" "$HOST/$NS/multi:v2s2-amd64" "$HOST/$NS/multi:v2s2-arm64"
  step "docker manifest push" "${D[@]}" manifest push --insecure "$HOST/$NS/multi:docker-list"
  if run skopeo inspect "${SK[@]}" --raw "docker://$HOST/$NS/multi:docker-list"; then
    expect "docker's manifest list names both platforms" "amd64,arm64" "$(jq -r '[.manifests[].platform.architecture]|sort|join(",")' <<<"$OUT")"
  else ko "inspect docker's manifest list" "$(tail -n1 <<<"$OUT")"; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "$CREDS" -X PATCH -H 'Content-Type: application/json' -d '{"immutableTags":true}' \
    "http://$HOST/api/v0/repositories/$NS/docker")
  expect "repository made immutable" 200 "$code"
  run "${D[@]}" tag "$HOST/$NS/docker-new@$pushed" "$HOST/$NS/docker:v1"
  if run "${D[@]}" push "$HOST/$NS/docker:v1"; then ko "docker push over an immutable tag is refused" "it went through"
  else grep -qi "denied" <<<"$OUT" && ok "docker push over an immutable tag is refused" || ko "docker push over an immutable tag is refused" "$(tail -n1 <<<"$OUT")"; fi
fi

# ---- vulnerability scanning (needs a system administrator to load the OSV fixture) ----------------------
if [ -n "${CREDS:-}" ]; then
  fixture="$HERE/../Registry.Tests/Fixtures/osv"
  code=$(jq -s . "$fixture"/*.json | curl -s -o "$SCRATCH/db.json" -w '%{http_code}' -u "$CREDS" -X PUT --data-binary @- "http://$HOST/api/v0/imagescan/scan/update")
  expect "vulnerability database uploaded" 200 "$code"
  for n in alpine313 debian11; do
    step "skopeo push $n" skopeo copy "${SKC[@]}" "oci:$IMG/$n:latest" "docker://$HOST/$NS/$n:latest"
    # DTR's older summary before any scan: check_completed_at is Go's zero time, which CI scripts wait on
    expect "$n: the older summary before a scan says Go's zero time" "0001-01-01T00:00:00Z" \
      "$(curl -s -u "$CREDS" "http://$HOST/api/v0/imagescan/repositories/$NS/$n/latest" | jq -r '.[0].check_completed_at')"
    code=$(curl -s -o /dev/null -w '%{http_code}' -u "$CREDS" -X POST "http://$HOST/api/v0/imagescan/scan/$NS/$n/latest/linux/amd64")
    expect "scan of $n queued" 202 "$code"
  done
  for n in alpine313 debian11; do
    # as DTR users' CI scripts wait for a scan: poll the older summary until check_completed_at changes
    for _ in $(seq 1 240); do
      old=$(curl -s -u "$CREDS" "http://$HOST/api/v0/imagescan/repositories/$NS/$n/latest")
      [ "$(jq -r '.[0].check_completed_at' <<<"$old")" != "0001-01-01T00:00:00Z" ] && break; sleep 0.5
    done
    expect "$n: the older summary's check_completed_at changed when the scan completed" "6 1" \
      "$(jq -r '.[0] | "\(.last_scan_status) \(.critical + .major + .minor)"' <<<"$old")"
    summary=$(curl -s -u "$CREDS" "http://$HOST/api/v0/imagescan/scansummary/repositories/$NS/$n/latest")
    expect "scan of $n completed" 6 "$(jq -r '.[0].scanStatus' <<<"$summary")"
    cves=$(jq -r '[.[0].scannedImage.cves[].cvePK] | sort | join(",")' <<<"$summary")
    if [ "$n" = alpine313 ]; then expect "alpine313: openssl 1.1.1j has CVE-2021-3449" CVE-2021-3449 "$cves"
    else expect "debian11: openssl 1.1.1k has CVE-2022-0778 only (CVE-2021-3449 is fixed)" CVE-2022-0778 "$cves"; fi
  done
fi

# ---- garbage collection (needs a system administrator and a host whose grace periods end within GC_WAIT s) ----
if [ -n "${CREDS:-}" ] && [ -n "${GC_WAIT:-}" ]; then
  # gc:t first names the tiny image, then the big one: the tiny manifest becomes garbage in that repository only
  step "skopeo push gc:t (tiny)" skopeo copy "${SKC[@]}" "oci:$IMG/tiny:latest" "docker://$HOST/$NS/gc:t"
  step "skopeo push gc:t (big)" skopeo copy "${SKC[@]}" "oci:$IMG/big:latest" "docker://$HOST/$NS/gc:t"
  sleep "$GC_WAIT"
  # DTR's job: 202 with the job at once, then polled until it ends (its result the GC report)
  gc=$(curl -s -u "$CREDS" -H 'Content-Type: application/json' -d '{"action":"onlinegc"}' "http://$HOST/api/v0/jobs")
  gc_id=$(jq -r .id <<<"$gc")
  for _ in $(seq 1 600); do
    case "$(jq -r .status <<<"$gc")" in running|waiting) sleep 0.2; gc=$(curl -s -u "$CREDS" "http://$HOST/api/v0/jobs/$gc_id") ;; *) break ;; esac
  done
  expect "GC run completes" true "$(jq -r .result.complete <<<"$gc")"
  expect "GC removed the untagged manifest" "$NS/gc@$(layout_digest "$IMG/tiny")" "$(jq -r --arg r "$NS/gc@" '.result.manifests[] | select(startswith($r))' <<<"$gc")"
  # (tiny:latest itself was deleted above; copied:v1 is the same image in another repository)
  for ref in big:latest gc:t copied:v1; do
    n=${ref%%:*}; case $n in gc) src=big ;; copied) src=tiny ;; *) src=$n ;; esac
    step "skopeo pull $ref after GC" skopeo copy "${SKC[@]}" "docker://$HOST/$NS/$ref" "oci:$SCRATCH/gc-$n:latest"
    expect "$ref after GC has its digest" "$(layout_digest "$IMG/$src")" "$(layout_digest "$SCRATCH/gc-$n")"
  done
  step "skopeo pull --all multi-arch after GC" skopeo copy --all "${SKC[@]}" "docker://$HOST/$NS/multi:latest" "oci:$SCRATCH/gc-multi:latest"
  expect "multi-arch after GC has its digest" "$(layout_digest "$IMG/multiarch")" "$(layout_digest "$SCRATCH/gc-multi")"
fi

finish
