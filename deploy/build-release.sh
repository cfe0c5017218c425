#!/usr/bin/env bash
# Builds a release artifact: release/kedge-<version>-linux-<arch>.tar.gz, kedge with its production
# node_modules, native modules built for that architecture and (unless --no-node) the Node 20
# runtime, ready for deploy/install.sh. Also leaves the npm package (release/kedge-<version>.tgz).
#
#   deploy/build-release.sh --arch x64|arm64|armv7 [--no-node] [--out DIR] [--cache DIR]
#
# Native modules for arm64/armv7 are compiled inside a Debian rootfs of that architecture under
# qemu user emulation (needs root; installs qemu-user-static, binfmt-support and debootstrap if
# missing). The rootfs, the Node runtimes and each native build are cached under --cache
# (default $KEDGE_RELEASE_CACHE or ~/.cache/kedge-release), keyed by their versions, so only the
# first build for an architecture takes long (debootstrap ~6 min, better-sqlite3 ~13 min emulated).
# Needs the repository's dev dependencies (npm ci) for the TypeScript compiler.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release/common.sh
source "$REPO/deploy/release/common.sh"
# shellcheck source=release/rootfs.sh
source "$REPO/deploy/release/rootfs.sh"
# shellcheck source=release/natives.sh
source "$REPO/deploy/release/natives.sh"

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

ARCH_ARG= WITH_NODE=1 OUT_DIR="$REPO/release"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH_ARG=${2:-}; shift 2 ;;
    --arch=*) ARCH_ARG=${1#*=}; shift ;;
    --no-node) WITH_NODE=0; shift ;;
    --out) OUT_DIR=${2:-}; shift 2 ;;
    --cache) CACHE_DIR=${2:-}; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
[ -n "$ARCH_ARG" ] || { echo "--arch is required" >&2; usage 2; }
select_arch "$ARCH_ARG"
mkdir -p "$OUT_DIR" "$CACHE_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)

VERSION=$(node -p "require('$REPO/package.json').version")
NAME="kedge-$VERSION-linux-$ARCH"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kedge-release-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
started=$(date +%s)

# 1. The npm package, from a fresh compile (never the working tree's dist/, which may hold the
#    output of deleted sources).
pack_npm_package() {
  log "compiling TypeScript and packing the npm package"
  [ -e "$REPO/node_modules/typescript" ] || die "the TypeScript compiler is missing: run npm ci in $REPO first"
  local pkg="$WORK/pkg"
  mkdir -p "$pkg"
  KEDGE_BUILD_OUT_DIR="$pkg/dist" node "$REPO/scripts/build.mjs" >&2
  # Everything else package.json's "files" names (dist/ aside), plus package.json, README and
  # LICENSE (npm packs the last two whatever "files" says).
  local f
  for f in $(node -e "for (const f of require('$REPO/package.json').files) if (!f.startsWith('!') && !/^dist\b/.test(f)) console.log(f)"); do
    f=${f%/}
    mkdir -p "$pkg/$(dirname "$f")"
    cp -R "$REPO/$f" "$pkg/$f"
  done
  cp "$REPO/package.json" "$REPO/README.md" "$REPO/LICENSE" "$pkg/"
  (cd "$pkg" && npm pack --ignore-scripts --silent --pack-destination "$OUT_DIR" >/dev/null)
  [ -f "$OUT_DIR/kedge-$VERSION.tgz" ] || die "npm pack made no $OUT_DIR/kedge-$VERSION.tgz"
}

# 2. The package with its production dependencies. Pure JavaScript is the same for every
#    architecture, so npm installs it here without install scripts; native modules follow.
stage_production_tree() {
  log "installing production dependencies (npm ci --omit=dev --ignore-scripts --cpu=$NPM_CPU)"
  STAGE="$WORK/$NAME"
  mkdir -p "$STAGE"
  tar -xzf "$OUT_DIR/kedge-$VERSION.tgz" -C "$STAGE" --strip-components=1
  cp "$REPO/package-lock.json" "$STAGE/"
  (cd "$STAGE" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --cpu="$NPM_CPU" --os=linux --libc=glibc \
    --loglevel=error >&2) || die "npm ci --omit=dev failed in the staged package"
}

# Files a running kedge never reads: type declarations, source maps, markdown. Directories are
# left alone (some packages keep runtime code in folders named test or docs).
prune_tree() {
  local nm=$1
  find "$nm" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete
  # better-sqlite3 carries the SQLite amalgamation (9 MB) to compile; the built module is all it needs.
  rm -rf "$nm/better-sqlite3/deps" "$nm/better-sqlite3/src"
  # Prebuilt binaries for other systems (serialport ships Windows, macOS and Android ones).
  local d
  for d in "$nm"/*/prebuilds "$nm"/@*/*/prebuilds; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 -maxdepth 1 -type d ! -name "linux-$(prebuild_cpu)" -exec rm -rf {} +
  done
}

# 3. The Node runtime from the npm package node-linux-<arch> (binary, licence), unless --no-node.
add_runtime() {
  [ "$WITH_NODE" = 1 ] || return 0
  local dir
  dir=$(ensure_node_runtime)
  mkdir -p "$STAGE/node/bin"
  cp "$dir/bin/node" "$STAGE/node/bin/node"
  cp "$dir/LICENSE" "$STAGE/node/LICENSE"
}

write_manifest() {
  local commit
  commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
  git -C "$REPO" diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
  {
    echo "name=kedge"
    echo "version=$VERSION"
    echo "arch=$ARCH"
    echo "uname_m=$UNAME_M"
    echo "commit=$commit"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    [ "$WITH_NODE" = 1 ] && echo "node=$NODE_VERSION"
    echo "native=$NATIVE_SUMMARY"
  } >"$STAGE/RELEASE"
}

pack_npm_package
stage_production_tree
build_native_modules "$STAGE"
prune_tree "$STAGE/node_modules"
add_runtime
write_manifest
ARTIFACT="$OUT_DIR/$NAME.tar.gz"
tar -czf "$ARTIFACT" -C "$WORK" "$NAME"
(cd "$OUT_DIR" && sha256sum "$NAME.tar.gz" >"$NAME.tar.gz.sha256")
log "built $ARTIFACT ($(du -h "$ARTIFACT" | cut -f1), unpacked $(du -sh "$STAGE" | cut -f1)) in $(($(date +%s) - started)) s"
echo "$ARTIFACT"
