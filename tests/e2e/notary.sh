#!/usr/bin/env bash
# End-to-end tests of the registry's Notary v1 server with real clients, against a registry served over TLS:
# the Notary client (init, add, publish, list, lookup, verify, a tampered file refused, key rotate snapshot -r to a
# server-managed key, delegation add --all-paths and a target signed by the delegation, a publish by a read-only user
# refused, DTR's inNotary and TAG_IN_NOTARY, remove, delete --remote, an anonymous read refused) and, when DOCKER_HOST names a running dockerd, docker with
# DOCKER_CONTENT_TRUST=1 (push signs, pull verifies, docker trust inspect, signer add, sign, revoke, and a pull
# refused after the server's trust data was rolled back to an older version).
# Usage: notary.sh HOST:PORT   Env: CA (the CA file of the registry's certificate), CREDS=user:password (a system
#   administrator), E2E_NS (default: a new namespace). dockerd must reach HOST (--insecure-registry or its CA).
# Prints PASS/FAIL lines and a last line "N passed, N failed"; exits 1 when anything failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${CA:?CA names the CA certificate of the registry}" "${CREDS:?CREDS=user:password of an administrator}"
USER_NAME=${CREDS%%:*}; USER_PASSWORD=${CREDS#*:}
export NOTARY_ROOT_PASSPHRASE=e2e-root NOTARY_TARGETS_PASSPHRASE=e2e-targets NOTARY_SNAPSHOT_PASSPHRASE=e2e-snapshot \
  NOTARY_DELEGATION_PASSPHRASE=e2e-delegation NOTARY_AUTH="$(printf '%s' "$CREDS" | base64 -w0)"
N=(notary -s "https://$HOST" --tlscacert "$CA" -d "$SCRATCH/trust")
GUN="$HOST/$NS/notary"
api() { curl -s --cacert "$CA" -u "$CREDS" "$@"; }
# token GUN: a token for everything on a GUN, as the Notary client asks for one
token() { api "https://$HOST/auth/token?service=registry&scope=repository:$1:*" | jq -r .token; }

# ---- the Notary client -------------------------------------------------------------------------------
"$HERE/make-images.sh" "$SCRATCH/img" 1 >> "$LOG" 2>&1 || { echo "FAIL make-images"; echo "0 passed, 1 failed"; exit 1; }
export REGISTRY_AUTH_FILE="$SCRATCH/auth.json"; echo '{}' > "$REGISTRY_AUTH_FILE"
step "skopeo push over TLS" skopeo copy --dest-cert-dir "$(dirname "$CA")" --dest-creds "$CREDS" "oci:$SCRATCH/img/tiny:latest" "docker://$GUN:v1"
# the target is the manifest's exact bytes, so its hash is the manifest digest (what docker content trust signs)
skopeo inspect --cert-dir "$(dirname "$CA")" --creds "$CREDS" --raw "docker://$GUN:v1" > "$SCRATCH/manifest.json" 2>> "$LOG"
want=$(sha256sum "$SCRATCH/manifest.json" | cut -d' ' -f1)
step "notary init -p" "${N[@]}" init -p "$GUN"
step "notary add -p v1 (the manifest)" "${N[@]}" add -p "$GUN" v1 "$SCRATCH/manifest.json"
if run "${N[@]}" list "$GUN"; then grep -q "$want" <<<"$OUT" && ok "notary list shows the manifest digest" || ko "notary list shows the manifest digest" "$OUT"
else ko "notary list" "$(tail -n1 <<<"$OUT")"; fi
if run "${N[@]}" lookup "$GUN" v1; then grep -q "sha256:$want" <<<"$OUT" && ok "notary lookup" || ko "notary lookup" "$OUT"; else ko "notary lookup" "$(tail -n1 <<<"$OUT")"; fi
if run bash -c "$(printf '%q ' "${N[@]}") verify $(printf '%q' "$GUN") v1 < $(printf '%q' "$SCRATCH/manifest.json")"; then ok "notary verify"; else ko "notary verify" "$(tail -n1 <<<"$OUT")"; fi
echo tampered > "$SCRATCH/tampered"
if run bash -c "$(printf '%q ' "${N[@]}") verify $(printf '%q' "$GUN") v1 < $(printf '%q' "$SCRATCH/tampered")"; then ko "notary verify refuses other content" "accepted"
else ok "notary verify refuses other content"; fi
tags=$(api "https://$HOST/api/v0/repositories/$NS/notary/tags" | jq -c '[.[] | select(.name=="v1") | .inNotary, .hashMismatch]')
expect "the tag listing says v1 is in Notary" "[true,false]" "$tags"
expect "deleting the signed tag is refused with TAG_IN_NOTARY" TAG_IN_NOTARY \
  "$(api -X DELETE "https://$HOST/api/v0/repositories/$NS/notary/tags/v1" | jq -r '.errors[0].code')"
if run skopeo copy --dest-cert-dir "$(dirname "$CA")" --dest-creds "$CREDS" "oci:$SCRATCH/img/big:latest" "docker://$GUN:v1"; then
  ko "pushing other content over the signed tag is refused" "it went through"
else grep -q "TAG_IN_NOTARY" <<<"$OUT" && ok "pushing other content over the signed tag is refused" || ko "pushing other content over the signed tag is refused" "$(tail -n1 <<<"$OUT")"; fi
step "notary key rotate snapshot -r (server-managed)" "${N[@]}" key rotate "$GUN" snapshot -r
snapshot_key=$(curl -s --cacert "$CA" -H "Authorization: Bearer $(token "$GUN")" "https://$HOST/v2/$GUN/_trust/tuf/snapshot.key" | jq -r .keyval.public)
signer=$(curl -s --cacert "$CA" -H "Authorization: Bearer $(token "$GUN")" "https://$HOST/v2/$GUN/_trust/tuf/snapshot.json" | jq -r '.signatures[0].keyid')
expect "the snapshot is now signed by the server's key" yes "$(curl -s --cacert "$CA" -H "Authorization: Bearer $(token "$GUN")" "https://$HOST/v2/$GUN/_trust/tuf/root.json" \
  | jq -r --arg k "$snapshot_key" --arg s "$signer" 'if .signed.keys[$s].keyval.public == $k and (.signed.roles.snapshot.keyids | index($s)) then "yes" else "no" end')"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=releaser" \
  -keyout "$SCRATCH/releaser.key" -out "$SCRATCH/releaser.crt" >> "$LOG" 2>&1
step "notary delegation add --all-paths" "${N[@]}" delegation add -p "$GUN" targets/releases "$SCRATCH/releaser.crt" --all-paths
step "notary key import (delegation key)" "${N[@]}" key import "$SCRATCH/releaser.key" --role targets/releases
step "notary add --roles targets/releases (staged)" "${N[@]}" add "$GUN" release "$SCRATCH/manifest.json" --roles targets/releases
# a user who may only read the repository cannot publish: the Notary client says so
reader="reader$RANDOM"; reader_password="reader-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
api -o /dev/null -H 'Content-Type: application/json' -d "{\"name\":\"$reader\",\"password\":\"$reader_password\"}" "https://$HOST/enzi/v0/accounts"
api -o /dev/null -X PATCH -H 'Content-Type: application/json' -d '{"visibility":"public"}' "https://$HOST/api/v0/repositories/$NS/notary"
if run env NOTARY_AUTH="$(printf '%s:%s' "$reader" "$reader_password" | base64 -w0)" "${N[@]}" publish "$GUN"; then
  ko "notary publish by a read-only user is refused" "it went through"
else grep -q "not authorized" <<<"$OUT" && ok "notary publish by a read-only user is refused" || ko "notary publish by a read-only user is refused" "$(tail -n1 <<<"$OUT")"; fi
step "notary publish" "${N[@]}" publish "$GUN"
if run "${N[@]}" list "$GUN" --roles targets/releases; then grep -q "release" <<<"$OUT" && ok "the delegation's target is listed" || ko "the delegation's target is listed" "$OUT"
else ko "notary list --roles targets/releases" "$(tail -n1 <<<"$OUT")"; fi
step "notary remove -p v1" "${N[@]}" remove -p "$GUN" v1
if run "${N[@]}" list "$GUN"; then grep -qE "^v1 " <<<"$OUT" && ko "v1 is gone after remove" "still listed" || ok "v1 is gone after remove"; else ko "notary list after remove" "$(tail -n1 <<<"$OUT")"; fi
code=$(api -o /dev/null -w '%{http_code}' -X DELETE "https://$HOST/api/v0/repositories/$NS/notary/tags/v1")
expect "once unsigned, the tag can be deleted" 204 "$code"
step "notary delete --remote" "${N[@]}" delete "$GUN" --remote
if run "${N[@]}" list "$GUN"; then ko "no trust data after delete --remote" "list still works"
else grep -q "does not have trust data" <<<"$OUT" && ok "no trust data after delete --remote" || ko "no trust data after delete --remote" "$(tail -n1 <<<"$OUT")"; fi
api -o /dev/null -X PATCH -H 'Content-Type: application/json' -d '{"visibility":"private"}' "https://$HOST/api/v0/repositories/$NS/notary"
if run env NOTARY_AUTH= "${N[@]}" list "$GUN"; then ko "anonymous read of private trust data refused" "it went through"
else grep -q "not authorized" <<<"$OUT" && ok "anonymous read of private trust data refused" || ko "anonymous read of private trust data refused" "$(tail -n1 <<<"$OUT")"; fi

# ---- docker with content trust ----------------------------------------------------------------------
DOCKER="$(command -v /usr/bin/docker || command -v docker)"
if [ -n "${DOCKER_HOST:-}" ] && [ -n "$DOCKER" ]; then
  export DOCKER_CONFIG="$SCRATCH/docker-config"
  mkdir -p "$DOCKER_CONFIG/tls/$HOST" && cp "$CA" "$DOCKER_CONFIG/tls/$HOST/ca.crt"
  D=("$DOCKER")
  step "docker login over TLS" "${D[@]}" login -u "$USER_NAME" --password-stdin "$HOST" <<<"$USER_PASSWORD"
  R="$HOST/$NS/dct"
  for n in 1 2 3; do
    mkdir -p "$SCRATCH/d$n"; head -c 65536 /dev/urandom > "$SCRATCH/d$n/data"; tar -C "$SCRATCH/d$n" -cf "$SCRATCH/d$n.tar" data
    run "${D[@]}" import "$SCRATCH/d$n.tar" "$R:v$n"
  done
  export DOCKER_CONTENT_TRUST=1 DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=e2e-root DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=e2e-repository
  step "docker push with content trust" "${D[@]}" push "$R:v1"
  grep -q "Successfully signed $R:v1" <<<"$OUT" && ok "docker push signed v1" || ko "docker push signed v1" "$(tail -n1 <<<"$OUT")"
  dct_token=$(token "$R")
  for f in root targets snapshot; do
    curl -s --cacert "$CA" -H "Authorization: Bearer $dct_token" "https://$HOST/v2/$R/_trust/tuf/$f.json" > "$SCRATCH/old-$f.json"
  done
  if run "${D[@]}" trust inspect "$R:v1"; then
    expect "docker trust inspect names v1" v1 "$(jq -r '.[0].SignedTags[0].SignedTag' <<<"$OUT")"
  else ko "docker trust inspect" "$(tail -n1 <<<"$OUT")"; fi
  run "${D[@]}" rmi "$R:v1"
  step "docker pull with content trust verifies" "${D[@]}" pull "$R:v1"
  step "docker trust key generate" "${D[@]}" trust key generate alice --dir "$SCRATCH"
  step "docker trust signer add" "${D[@]}" trust signer add --key "$SCRATCH/alice.pub" alice "$R"
  step "docker trust sign (as alice)" "${D[@]}" trust sign "$R:v2"
  if run "${D[@]}" trust inspect "$R:v2"; then
    expect "docker trust inspect: v2 signed by alice" alice "$(jq -r '.[0].SignedTags[0].Signers | join(",")' <<<"$OUT")"
  else ko "docker trust inspect v2" "$(tail -n1 <<<"$OUT")"; fi
  step "docker trust revoke" "${D[@]}" trust revoke -y "$R:v2"
  if run "${D[@]}" trust inspect "$R:v2"; then
    expect "v2 has no signature after revoke" 0 "$(jq -r '.[0].SignedTags | length' <<<"$OUT")"
  else ok "v2 has no signature after revoke"; fi
  step "docker push v3 with content trust" "${D[@]}" push "$R:v3"
  run "${D[@]}" trust inspect "$R"   # the client now holds the newest timestamp
  # roll the server's trust data back to the first version: delete it and publish the old files again
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $dct_token" -X DELETE "https://$HOST/v2/$R/_trust/tuf/")
  code+=" $(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $dct_token" \
    -F "files=@$SCRATCH/old-root.json;filename=root" -F "files=@$SCRATCH/old-targets.json;filename=targets" \
    -F "files=@$SCRATCH/old-snapshot.json;filename=snapshot" "https://$HOST/v2/$R/_trust/tuf/")"
  expect "the server's trust data rolled back (as an administrator could)" "200 200" "$code"
  run "${D[@]}" rmi "$R:v1"
  if run "${D[@]}" pull "$R:v1"; then ko "docker pull refuses rolled-back trust data" "the pull went through"
  else grep -q "lower than" <<<"$OUT" && ok "docker pull refuses rolled-back trust data" || ko "docker pull refuses rolled-back trust data" "$(tail -n1 <<<"$OUT")"; fi
  unset DOCKER_CONTENT_TRUST
fi
finish
