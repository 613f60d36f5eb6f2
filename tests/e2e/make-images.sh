#!/usr/bin/env bash
# Builds OCI image layouts for the end-to-end tests without a container engine (tar, gzip, sha256sum, jq).
# Usage: make-images.sh OUT_DIR [BIG_MIB]
#   OUT_DIR/tiny       one small layer
#   OUT_DIR/multiarch  an image index of linux/amd64 and linux/arm64 images
#   OUT_DIR/artifact   the tiny image plus an SBOM artifact (artifactType, empty config) whose subject is it
#   OUT_DIR/alpine313  Alpine 3.13 os-release and apk database with openssl 1.1.1j (before CVE-2021-3449's fix)
#   OUT_DIR/debian11   Debian 11 os-release and dpkg status with openssl 1.1.1k (before CVE-2022-0778's fix)
#   OUT_DIR/big        one layer of BIG_MIB MiB of random bytes, only when BIG_MIB is given
# Every layout's image is tagged "latest"; artifact also tags the SBOM "sbom".
# Layers carry a random file, so each run makes new digests (no client cache can skip an upload).
set -euo pipefail
OUT="${1:?usage: make-images.sh OUT_DIR [BIG_MIB]}"
BIG_MIB="${2:-}"
export LC_ALL=C TZ=UTC
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

layout() { rm -rf "$1"; mkdir -p "$1/blobs/sha256"; printf '{"imageLayoutVersion":"1.0.0"}' > "$1/oci-layout"; }
# blob LAYOUT FILE -> "sha256:<hex> <size>"
blob() { local d s; d=$(sha256sum "$2" | cut -d' ' -f1); s=$(stat -c %s "$2"); mv "$2" "$1/blobs/sha256/$d"; echo "sha256:$d $s"; }
# image LAYOUT ARCH ROOT [GZIP_LEVEL] -> sets MANIFEST SIZE
image() {
  local L=$1 arch=$2 root=$3 level=${4:-6} out layer lsize diff cfg csize
  tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1609459200 -cf "$WORK/layer.tar" .
  diff="sha256:$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)"
  gzip -n "-$level" -c "$WORK/layer.tar" > "$WORK/layer.tgz"; rm -f "$WORK/layer.tar"
  out=$(blob "$L" "$WORK/layer.tgz"); layer=${out% *}; lsize=${out#* }
  jq -cn --arg a "$arch" --arg d "$diff" '{architecture:$a, os:"linux", rootfs:{type:"layers", diff_ids:[$d]}, config:{Cmd:["/hello.txt"]}}' > "$WORK/config.json"
  out=$(blob "$L" "$WORK/config.json"); cfg=${out% *}; csize=${out#* }
  jq -cn --arg c "$cfg" --argjson cs "$csize" --arg l "$layer" --argjson ls "$lsize" '{schemaVersion:2,
    mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip", digest:$l, size:$ls}]}' > "$WORK/manifest.json"
  out=$(blob "$L" "$WORK/manifest.json"); MANIFEST=${out% *}; SIZE=${out#* }
}
# index_json LAYOUT [MEDIATYPE DIGEST SIZE TAG]... : the layout's index.json
index_json() {
  local L=$1; shift; local entries="[]"
  while [ $# -gt 0 ]; do
    entries=$(jq -c --arg m "$1" --arg d "$2" --argjson s "$3" --arg t "$4" \
      '. + [{mediaType:$m, digest:$d, size:$s, annotations:{"org.opencontainers.image.ref.name":$t}}]' <<<"$entries")
    shift 4
  done
  jq -cn --argjson m "$entries" '{schemaVersion:2, manifests:$m}' > "$L/index.json"
}
root() { rm -rf "$WORK/root"; mkdir -p "$WORK/root"; echo "$1" > "$WORK/root/hello.txt"; head -c 64 /dev/urandom | base64 > "$WORK/root/random.txt"; }

MT=application/vnd.oci.image.manifest.v1+json

# distro ROOT ID VERSION_ID : an os-release in ROOT (after root)
distro() { mkdir -p "$1/etc"; printf 'ID=%s\nVERSION_ID="%s"\n' "$2" "$3" > "$1/etc/os-release"; }
layout "$OUT/alpine313"; root "alpine 3.13"; distro "$WORK/root" alpine 3.13.5
mkdir -p "$WORK/root/lib/apk/db"
printf 'P:musl\nV:1.2.2-r0\nL:MIT\no:musl\n\nP:libssl1.1\nV:1.1.1j-r0\nL:OpenSSL\no:openssl\n\n' > "$WORK/root/lib/apk/db/installed"
image "$OUT/alpine313" amd64 "$WORK/root"; index_json "$OUT/alpine313" $MT "$MANIFEST" "$SIZE" latest
layout "$OUT/debian11"; root "debian 11"; distro "$WORK/root" debian 11
mkdir -p "$WORK/root/var/lib/dpkg"
printf 'Package: libssl1.1\nStatus: install ok installed\nSource: openssl\nVersion: 1.1.1k-1\n\nPackage: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.11.dfsg-2\n\n' > "$WORK/root/var/lib/dpkg/status"
image "$OUT/debian11" amd64 "$WORK/root"; index_json "$OUT/debian11" $MT "$MANIFEST" "$SIZE" latest

layout "$OUT/tiny"; root "tiny image"; image "$OUT/tiny" amd64 "$WORK/root"
index_json "$OUT/tiny" $MT "$MANIFEST" "$SIZE" latest

layout "$OUT/multiarch"; entries="[]"
for arch in amd64 arm64; do
  root "linux/$arch"; image "$OUT/multiarch" "$arch" "$WORK/root"
  entries=$(jq -c --arg d "$MANIFEST" --argjson s "$SIZE" --arg a "$arch" --arg m $MT \
    '. + [{mediaType:$m, digest:$d, size:$s, platform:{architecture:$a, os:"linux"}}]' <<<"$entries")
done
jq -cn --argjson m "$entries" '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json", manifests:$m}' > "$WORK/index.json"
out=$(blob "$OUT/multiarch" "$WORK/index.json")
index_json "$OUT/multiarch" application/vnd.oci.image.index.v1+json "${out% *}" "${out#* }" latest

layout "$OUT/artifact"; root "artifact subject"; image "$OUT/artifact" amd64 "$WORK/root"
SUBJECT=$MANIFEST; SUBJECT_SIZE=$SIZE
printf '{}' > "$WORK/empty.json"; out=$(blob "$OUT/artifact" "$WORK/empty.json"); empty=${out% *}
jq -cn --arg s "$SUBJECT" '{spdxVersion:"SPDX-2.3", name:"sbom", describes:$s}' > "$WORK/sbom.json"
out=$(blob "$OUT/artifact" "$WORK/sbom.json"); sbom=${out% *}; sbom_size=${out#* }
jq -cn --arg e "$empty" --arg b "$sbom" --argjson bs "$sbom_size" --arg s "$SUBJECT" --argjson ss "$SUBJECT_SIZE" '{schemaVersion:2,
  mediaType:"application/vnd.oci.image.manifest.v1+json", artifactType:"application/spdx+json",
  config:{mediaType:"application/vnd.oci.empty.v1+json", digest:$e, size:2},
  layers:[{mediaType:"application/spdx+json", digest:$b, size:$bs}],
  subject:{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$s, size:$ss}}' > "$WORK/artifact.json"
out=$(blob "$OUT/artifact" "$WORK/artifact.json")
index_json "$OUT/artifact" $MT "$SUBJECT" "$SUBJECT_SIZE" latest $MT "${out% *}" "${out#* }" sbom

if [ -n "$BIG_MIB" ]; then
  layout "$OUT/big"; rm -rf "$WORK/root"; mkdir -p "$WORK/root"
  head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom > "$WORK/root/random.bin"
  image "$OUT/big" amd64 "$WORK/root" 1
  index_json "$OUT/big" $MT "$MANIFEST" "$SIZE" latest
fi
