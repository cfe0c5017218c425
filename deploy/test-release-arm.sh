#!/usr/bin/env bash
# Tests the ARM release artifacts under qemu user emulation (needs root; see deploy/build-release.sh).
#
#   deploy/test-release-arm.sh [--arch arm64|armv7|all] [--cache DIR] [--no-build] [--keep]
#
# --no-build tests the artifacts already in release/ instead of building them first.
# arm64: builds release/kedge-<v>-linux-arm64.tar.gz, installs it with deploy/install.sh inside a
#   throwaway copy (overlay) of the arm64 Debian rootfs, checks the user, directories, permissions
#   and unit files install.sh wrote, then starts the edge the way its unit does (as user kedge,
#   /opt/kedge/bin/kedge edge --config /etc/kedge/edge.yaml, default ports), serves a Modbus
#   simulator (Moxa ioLogik E1214 from device-models/) on the host, applies the device to the edge
#   and waits for its readings on the edge's MQTT broker.
# armv7: builds the armv7 artifact, installs it the same way, runs `kedge --version` and loads
#   every native module.
# Everything runs in a network namespace of its own (loopback only), so the default ports are used
# and nothing clashes with other programs on this machine. Prints the figures bench/RESULTS.md keeps.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
source "$REPO/deploy/release/common.sh"
source "$REPO/deploy/release/rootfs.sh"

WHICH=all KEEP=0 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) WHICH=$2; shift 2 ;;
    --cache) CACHE_DIR=$2; export KEDGE_RELEASE_CACHE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root (chroot, mount, network namespace)"
[ -e "$REPO/dist/src/cli/main.js" ] || die "run npm ci in $REPO first (the host side runs the simulator from it)"

WORK=$(mktemp -d /tmp/kedge-armtest-XXXXXX)
ROOTS=()
cleanup() {
  local r
  for r in "${ROOTS[@]}"; do
    umount_chroot "$r" 2>/dev/null || true
    umount "$r" 2>/dev/null || umount -l "$r" 2>/dev/null || true
  done
  [ "$KEEP" = 1 ] && { log "kept $WORK"; return; }
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0
check() { # check "what" command...
  local what=$1
  shift
  if "$@"; then
    echo "ok   $what"
  else
    echo "FAIL $what"
    FAILS=$((FAILS + 1))
  fi
}

# A writable throwaway view of the cached rootfs in $TEST_ROOT: overlayfs, or a copy where overlay
# is refused. (Not called in $(...): ROOTS must be this shell's.)
test_root() {
  local lower upper=$WORK/$ARCH-upper work=$WORK/$ARCH-work
  TEST_ROOT=$WORK/$ARCH-root
  lower=$(ensure_rootfs)
  mkdir -p "$upper" "$work" "$TEST_ROOT"
  if mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$TEST_ROOT" 2>/dev/null; then
    ROOTS+=("$TEST_ROOT")
  else
    cp -a "$lower/." "$TEST_ROOT/"
  fi
}

install_into() { # root artifact extra-args...
  local root=$1 artifact=$2
  shift 2
  mkdir -p "$root/tmp/kedge-test"
  cp "$artifact" "$root/tmp/kedge-test/artifact.tar.gz"
  tar -xzf "$artifact" -C "$root/tmp/kedge-test" --wildcards '*/deploy/install.sh' --strip-components=2
  in_chroot "$root" /bin/sh /tmp/kedge-test/install.sh --artifact /tmp/kedge-test/artifact.tar.gz --yes "$@"
}

stat_is() { # root path "mode user group"
  local got
  got=$(chroot "$1" stat -c '%a %U %G' "$2")
  [ "$got" = "$3" ] || { echo "     $2: $got, expected $3"; return 1; }
}

check_install() { # root
  local root=$1
  check "user kedge exists with no login shell" user_ok "$root"
  check "/etc/kedge is 750 root:kedge" stat_is "$root" /etc/kedge "750 root kedge"
  check "/etc/kedge/edge.yaml is 640 root:kedge" stat_is "$root" /etc/kedge/edge.yaml "640 root kedge"
  check "/var/lib/kedge/edge is 750 kedge:kedge" stat_is "$root" /var/lib/kedge/edge "750 kedge kedge"
  check "/opt/kedge is all root's; user kedge cannot write there" opt_ok "$root"
  check "user kedge can read its configuration" chroot "$root" runuser -u kedge -- cat /etc/kedge/edge.yaml
  check "kedge-edge.service is installed" test -f "$root/etc/systemd/system/kedge-edge.service"
  if command -v systemd-analyze >/dev/null; then
    check "systemd-analyze verify accepts kedge-edge.service in that root" verify_unit "$root" kedge-edge.service
  fi
}

user_ok() { chroot "$1" getent passwd kedge | grep -q ':/usr/sbin/nologin$'; }

opt_ok() {
  [ -z "$(find "$1/opt/kedge" ! -user 0 | head -n 1)" ] || return 1
  ! chroot "$1" runuser -u kedge -- touch /opt/kedge/x 2>/dev/null
}

# systemd-analyze on this machine (the rootfs has no systemd), with the unit's /opt/kedge paths
# pointing into the test root so that ExecStart is checked too; any word from it is a failure.
verify_unit() {
  local out copy="$WORK/$2"
  sed "s#/opt/kedge/#$1/opt/kedge/#g" "$1/etc/systemd/system/$2" >"$copy"
  out=$(systemd-analyze verify "$copy" 2>&1) || { echo "$out"; return 1; }
  [ -z "$out" ] || { echo "$out"; return 1; }
}

version_ok() { # root version
  local got
  got=$(in_chroot "$1" /opt/kedge/bin/kedge --version)
  echo "     kedge --version: $got"
  [ "$got" = "$2" ]
}

native_loads() { # root
  in_chroot "$1" /opt/kedge/node/bin/node -e "
    const Database = require('/opt/kedge/node_modules/better-sqlite3');
    const db = new Database(':memory:');
    if (db.prepare('select 40 + 2 as x').get().x !== 42) throw new Error('sqlite answered wrong');
    const { binding } = require('/opt/kedge/node_modules/@serialport/bindings-cpp/dist/serialport-bindings.js');
    if (typeof binding.open !== 'function') throw new Error('serialport binding has no open()');
    const Docker = require('/opt/kedge/node_modules/dockerode'); // its ssh2 without the optional bindings
    if (typeof new Docker({ socketPath: '/nowhere' }).listContainers !== 'function') throw new Error('dockerode has no listContainers()');
    console.log('     better-sqlite3 (' + db.prepare('select sqlite_version() as v').get().v + '), the serialport binding and dockerode load');"
}

uninstall_ok() { # root
  in_chroot "$1" /bin/sh /tmp/kedge-test/install.sh --uninstall >/dev/null || return 1
  ! chroot "$1" getent passwd kedge >/dev/null && [ ! -e "$1/opt/kedge" ] &&
    [ ! -e "$1/etc/systemd/system/kedge-edge.service" ] && [ -f "$1/etc/kedge/edge.yaml" ]
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

modbus_edge_test() { # root
  local root=$1 port=5020 dev="$WORK/e1214.yaml"
  sed -e "s/nodeName: edge-1/nodeName: arm-gw/" -e "s/port: 5020 .*/port: $port/" \
    "$REPO/device-models/moxa-iologik-e1214.yaml" >"$dev"
  # A network namespace of its own: loopback only, default ports free.
  unshare --net bash "$REPO/deploy/release/edge-modbus-run.sh" "$REPO" "$root" "$dev" "$port" "$WORK"
}

run_arch() {
  select_arch "$1"
  local t0 artifact root version
  version=$(node -p "require('$REPO/package.json').version")
  log "== $ARCH =="
  t0=$(date +%s%N)
  if [ "$BUILD" = 1 ]; then
    artifact=$("$REPO/deploy/build-release.sh" --arch "$ARCH")
    echo "build_${ARCH}_ms=$(ms_since "$t0")"
  else
    artifact="$REPO/release/kedge-$version-linux-$ARCH.tar.gz"
    [ -f "$artifact" ] || die "--no-build: no $artifact"
  fi
  echo "artifact=$(basename "$artifact") size=$(du -h "$artifact" | cut -f1) $(tar -xzOf "$artifact" --wildcards '*/RELEASE' | tr '\n' ' ')"
  test_root
  root=$TEST_ROOT
  check "install.sh --node arm-gw --yes (standalone) inside the $DEB_ARCH rootfs" install_into "$root" "$artifact" --node arm-gw
  check_install "$root"
  check "kedge --version under qemu ($ARCH)" version_ok "$root" "$version"
  check "native modules load under qemu ($ARCH)" native_loads "$root"
  if [ "$ARCH" = arm64 ]; then
    check "arm64 edge (as its unit runs it) polls the host's Modbus simulator; readings on its MQTT" modbus_edge_test "$root"
  fi
  check "install.sh --uninstall removes the user, /opt/kedge and the unit; keeps /etc/kedge" uninstall_ok "$root"
}

case "$WHICH" in
  all) run_arch arm64; run_arch armv7 ;;
  arm64 | armv7) run_arch "$WHICH" ;;
  *) die "--arch must be arm64, armv7 or all" ;;
esac
echo "commit=$(git -C "$REPO" rev-parse --short HEAD) date=$(date -u +%Y-%m-%dT%H:%M:%SZ) failures=$FAILS"
[ "$FAILS" = 0 ]
