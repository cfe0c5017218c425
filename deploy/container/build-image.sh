#!/usr/bin/env bash
# Builds the kedge image (mappers in containers, and a base for edge applications) without any
# registry: a root file system made of this machine's Node binary and the shared libraries it and
# kedge's native modules load (ldd), kedge's dist/, bin/ and its production node_modules, then
# `podman import`ed. Where a registry is reachable, deploy/container/Containerfile builds the same
# layout from node:20 for several architectures.
#
#   deploy/container/build-image.sh [IMAGE]      # default localhost/kedge:<package version>
#
# Also tags localhost/kedge:latest and localhost/kedge:content-<hash>. The hash covers everything
# that goes in (node binary, package-lock.json, dist/, bin/, device-models/, this script); when an
# image with that hash exists, nothing is built again (a second run takes about a second).
# Needs: podman, tar, ldd, npm (for the list of production packages), a built dist/ (npm ci).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
version="$(node -p 'require("./package.json").version')"
image="${1:-localhost/kedge:$version}"
engine="${KEDGE_PODMAN:-podman}"

[ -f dist/src/cli/main.js ] || { echo "build-image: dist/ is missing: run npm ci (or npm run build) first" >&2; exit 2; }
command -v "$engine" >/dev/null || { echo "build-image: $engine is not installed (apt-get install podman)" >&2; exit 2; }

node_bin="$(readlink -f "$(command -v node)")"
hash="$( {
  sha256sum "$node_bin" package-lock.json LICENSE "$0"
  find dist bin device-models -type f -print0 | sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-16)"
tag="localhost/kedge:content-$hash"

if "$engine" image exists "$tag"; then
  "$engine" tag "$tag" "$image" localhost/kedge:latest
  echo "$image (cached, $tag)"
  exit 0
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
fs="$stage/rootfs"
mkdir -p "$fs/usr/bin" "$fs/tmp" "$fs/etc" "$fs/opt/kedge" "$fs/var/lib/kedge"
chmod 1777 "$fs/tmp"
cp "$node_bin" "$fs/usr/bin/node"
printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$fs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$fs/etc/group"

# Production packages: the top-level folders of `npm ls --omit=dev` (nested ones come with them).
mapfile -t packages < <(npm ls --omit=dev --all --parseable 2>/dev/null \
  | sed -n "s|^$root/node_modules/||p" | awk -F/ '{ if ($1 ~ /^@/) print $1"/"$2; else print $1 }' | sort -u)
[ "${#packages[@]}" -gt 0 ] || { echo "build-image: npm ls found no production packages: run npm ci first" >&2; exit 2; }

# The libraries node and the native modules load, at the same paths (the loader too).
libs() { ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true; }
{
  libs "$node_bin"
  for p in "${packages[@]}"; do
    find "node_modules/$p" -name '*.node' -path '*linux*' -o -name '*.node' -path '*/Release/*' | while read -r m; do libs "$m"; done
  done
} | sort -u | while read -r lib; do
  mkdir -p "$fs$(dirname "$lib")"
  cp -L "$lib" "$fs$lib"
done

tarball="$stage/kedge.tar"
tar -C "$fs" -cf "$tarball" .
tar -C "$root" -rf "$tarball" --transform 's,^,opt/kedge/,' \
  --exclude='*.d.ts' --exclude='*.map' --exclude='*.test.js' \
  --exclude='node_modules/better-sqlite3/deps' --exclude='node_modules/better-sqlite3/src' \
  --exclude='obj.target' --exclude='.deps' \
  package.json LICENSE bin dist/src dist/mappers device-models "${packages[@]/#/node_modules/}"

"$engine" import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV NODE_ENV=production' \
  --change 'WORKDIR /opt/kedge' \
  --change 'ENTRYPOINT ["node", "/opt/kedge/bin/kedge.js"]' \
  --change "LABEL io.kedge.content-hash=$hash io.kedge.version=$version" \
  --quiet "$tarball" "$tag" >/dev/null
"$engine" tag "$tag" "$image" localhost/kedge:latest
echo "$image ($tag, $(du -h "$tarball" | cut -f1) uncompressed)"
