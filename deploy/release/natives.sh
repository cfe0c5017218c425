# Native modules for the target architecture. Sourced by deploy/build-release.sh after common.sh
# and rootfs.sh.
#
# npm installed the staged tree with --ignore-scripts, so no native module is built yet. Each
# package with a binding.gyp is either optional (OPTIONAL_NATIVE below: left unbuilt) or
#   - prebuilt: it ships prebuilds/linux-<cpu>/ (node-gyp-build loads them; serialport does), or
#   - compiled: by node-gyp against the headers of the bundled Node runtime, natively for the
#     host's architecture, inside the emulated rootfs for the others. Only build/Release/*.node is
#     kept, cached as native/<name>@<version>-linux-<arch>-node<major>-<suite>.

NODE_GYP_VERSION=${KEDGE_NODE_GYP_VERSION:-11.4.2}

# Prints the folder of the unpacked npm package node-linux-<arch>@<version> (bin/node, include/).
ensure_node_runtime() {
  local dir="$CACHE_DIR/node/$NODE_PKG-$NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    log "fetching $NODE_PKG@$NODE_VERSION (npm pack)"
    local tmp
    tmp=$(mktemp -d "$CACHE_DIR/.node-XXXXXX")
    (cd "$tmp" && npm pack "$NODE_PKG@$NODE_VERSION" --silent >/dev/null) || die "npm pack $NODE_PKG@$NODE_VERSION failed"
    mkdir -p "$tmp/x"
    tar -xzf "$tmp"/*.tgz -C "$tmp/x" --strip-components=1
    [ -x "$tmp/x/bin/node" ] && [ -f "$tmp/x/include/node/common.gypi" ] ||
      die "$NODE_PKG@$NODE_VERSION has no bin/node or include/node/common.gypi"
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    mv "$tmp/x" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

# Prints the folder of node-gyp (pure JavaScript, installed once from npm).
ensure_node_gyp() {
  local dir="$CACHE_DIR/tools/node-gyp-$NODE_GYP_VERSION"
  if [ ! -f "$dir/node_modules/node-gyp/bin/node-gyp.js" ]; then
    log "installing node-gyp@$NODE_GYP_VERSION into the cache"
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "node-gyp@$NODE_GYP_VERSION" >&2) ||
      die "npm install node-gyp@$NODE_GYP_VERSION failed"
  fi
  echo "$dir"
}

# Packages with a native binding that kedge never loads, each left unbuilt (a build under qemu
# costs minutes): the module that requires it does so inside a try and goes on in JavaScript.
# - cpu-features: ssh2 reads the CPU's features with it to order its ciphers; ssh2 is dockerode's
#   SSH transport, and kedge reaches the container engine over its unix socket.
# ssh2's own optional crypto binding (lib/protocol/crypto/binding.gyp) is not a package of its
# own, so native_packages does not list it; ssh2 uses Node's crypto without it.
OPTIONAL_NATIVE=" cpu-features "

# Package folders (those with a package.json) holding a binding.gyp.
native_packages() {
  local dir
  find "$1/node_modules" -name binding.gyp -not -path '*/deps/*' -printf '%h\n' | sort | while read -r dir; do
    if [ -f "$dir/package.json" ]; then echo "$dir"; fi
  done
}

# node-gyp-build's folder name for the architecture.
prebuild_cpu() {
  case "$ARCH" in x64) echo x64 ;; arm64) echo arm64 ;; armv7) echo arm ;; esac
}

build_native_modules() {
  local stage=$1 pkg name version key summary=()
  for pkg in $(native_packages "$stage"); do
    name=$(node -p "require('$pkg/package.json').name")
    version=$(node -p "require('$pkg/package.json').version")
    if [[ "$OPTIONAL_NATIVE" == *" $name "* ]]; then
      log "$name@$version: optional binding kedge never loads, left unbuilt"
      summary+=("$name@$version:skipped")
      continue
    fi
    if compgen -G "$pkg/prebuilds/linux-$(prebuild_cpu)/*.node" >/dev/null; then
      log "$name@$version: prebuilt for linux-$(prebuild_cpu)"
      summary+=("$name@$version:prebuilt")
      continue
    fi
    key="$name@$version-linux-$ARCH-node${NODE_VERSION%%.*}-$ROOTFS_SUITE"
    key=${key//\//+}
    local cached="$CACHE_DIR/native/$key"
    if [ ! -f "$cached/.ready" ]; then
      build_one "$pkg" "$name" "$version" "$cached"
    else
      log "$name@$version: from the cache ($cached)"
    fi
    mkdir -p "$pkg/build/Release"
    cp "$cached"/*.node "$pkg/build/Release/"
    summary+=("$name@$version:built")
  done
  NATIVE_SUMMARY="${summary[*]}"
}

# Compiles one package and stores its .node files in $4.
build_one() {
  local pkg=$1 name=$2 version=$3 cached=$4 t0
  t0=$(date +%s)
  local tmp="$cached.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if native_target && seed_from_repo "$name" "$version" "$tmp"; then
    log "$name@$version: taken from this clone's node_modules (built by npm ci for this machine)"
  elif native_target; then
    local node gyp
    node=$(ensure_node_runtime)
    gyp=$(ensure_node_gyp)
    log "$name@$version: compiling for $ARCH"
    local src="$tmp/src"
    cp -R "$pkg" "$src"
    (cd "$src" && nice node "$gyp/node_modules/node-gyp/bin/node-gyp.js" rebuild --release --nodedir="$node" -j 2 \
      >"$tmp/build.log" 2>&1) || die "compiling $name failed; log: $tmp/build.log"
    cp "$src"/build/Release/*.node "$tmp/"
    rm -rf "$src"
  else
    build_in_rootfs "$pkg" "$name" "$tmp"
  fi
  compgen -G "$tmp/*.node" >/dev/null || die "building $name produced no .node file"
  echo "$(($(date +%s) - t0))" >"$tmp/build-seconds"
  touch "$tmp/.ready"
  rm -rf "$cached"
  mv "$tmp" "$cached"
  log "$name@$version: built in $(cat "$cached/build-seconds") s, cached in $cached"
}

# The clone's own node_modules already holds this package compiled for this machine by npm ci.
seed_from_repo() {
  local name=$1 version=$2 out=$3 dir="$REPO/node_modules/$1"
  [ -f "$dir/package.json" ] && [ "$(node -p "require('$dir/package.json').version")" = "$version" ] &&
    compgen -G "$dir/build/Release/*.node" >/dev/null || return 1
  cp "$dir"/build/Release/*.node "$out/"
}

build_in_rootfs() {
  local pkg=$1 name=$2 out=$3 root node gyp
  root=$(ensure_rootfs)
  node=$(ensure_node_runtime)
  gyp=$(ensure_node_gyp)
  local b="$root/opt/kedge-build"
  rm -rf "$b"
  mkdir -p "$b"
  cp -R "$node" "$b/node"
  cp -R "$gyp" "$b/gyp"
  cp -R "$pkg" "$b/src"
  log "$name: compiling inside the $DEB_ARCH rootfs under qemu (better-sqlite3 takes about 13 min); log: $out/build.log"
  # node on PATH: better-sqlite3's build runs node scripts of its own.
  in_chroot "$root" /usr/bin/env PATH=/opt/kedge-build/node/bin:/usr/bin:/bin /bin/sh -c "cd /opt/kedge-build/src &&
    nice node /opt/kedge-build/gyp/node_modules/node-gyp/bin/node-gyp.js rebuild --release \
    --nodedir=/opt/kedge-build/node -j 2" \
    >"$out/build.log" 2>&1 || die "compiling $name inside the $DEB_ARCH rootfs failed; log: $out/build.log"
  cp "$b"/src/build/Release/*.node "$out/"
  file "$out"/*.node 2>/dev/null | sed 's/^/  /' >&2 || true
  rm -rf "$b"
}
