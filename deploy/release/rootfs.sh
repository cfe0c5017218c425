# Debian root filesystems for building and testing the ARM artifacts under qemu user emulation.
# Sourced by deploy/build-release.sh and deploy/test-arm-release.sh (needs common.sh first).
#
# A rootfs is made once per (suite, Debian architecture, package list) by debootstrap and kept in
# the cache; a second build reuses it. The packages are what node-gyp needs to compile a native
# module (python3, make, g++). Everything runs as root: debootstrap and chroot need it.

ROOTFS_SUITE=${KEDGE_ROOTFS_SUITE:-bookworm}
ROOTFS_PACKAGES=python3,make,g++

# The Debian mirror this machine's apt uses (deb822 .sources first, then sources.list), unless
# KEDGE_DEBIAN_MIRROR names one. The security archive is skipped: debootstrap needs the main one.
debian_mirror() {
  if [ -n "${KEDGE_DEBIAN_MIRROR:-}" ]; then
    echo "$KEDGE_DEBIAN_MIRROR"
    return
  fi
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' |
    grep -v -- '-security' | head -n 1 || true)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; break } }' \
      /etc/apt/sources.list | grep -v -- '-security' | head -n 1 || true)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list(.d); set KEDGE_DEBIAN_MIRROR"
  echo "$uri"
}

# Makes sure binfmt_misc runs $QEMU_BINFMT binaries (qemu-aarch64, qemu-arm) with qemu-user-static.
ensure_emulation() {
  [ "$(id -u)" = 0 ] || die "building or testing for $ARCH needs root (debootstrap, chroot, binfmt_misc)"
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ -x "/usr/bin/$QEMU_STATIC" ] || missing+=(qemu-user-static)
  command -v update-binfmts >/dev/null || missing+=(binfmt-support)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      die "could not install ${missing[*]} (apt-get install ${missing[*]})"
  fi
  if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc"
  fi
  update-binfmts --enable "$QEMU_BINFMT" >/dev/null 2>&1 || true
  grep -q '^enabled' "/proc/sys/fs/binfmt_misc/$QEMU_BINFMT" 2>/dev/null ||
    die "binfmt_misc has no enabled $QEMU_BINFMT entry (update-binfmts --enable $QEMU_BINFMT)"
}

# Prints the path of a ready rootfs for $DEB_ARCH, making it first if the cache has none.
# A rootfs is only used once the marker file says debootstrap finished.
ensure_rootfs() {
  local key dir
  key="$ROOTFS_SUITE-$DEB_ARCH-$(printf '%s' "$ROOTFS_PACKAGES" | sha256sum | cut -c1-12)"
  dir="$CACHE_DIR/rootfs/$key"
  if [ ! -f "$dir/.kedge-rootfs-ready" ]; then
    ensure_emulation
    local mirror
    mirror=$(debian_mirror)
    log "debootstrap $ROOTFS_SUITE for $DEB_ARCH from $mirror into $dir (about 6 min under emulation)"
    rm -rf "$dir"
    mkdir -p "$dir"
    nice debootstrap --arch="$DEB_ARCH" --variant=minbase --include="$ROOTFS_PACKAGES" \
      "$ROOTFS_SUITE" "$dir" "$mirror" >"$dir.log" 2>&1 ||
      die "debootstrap failed for $DEB_ARCH; its log: $dir.log"
    touch "$dir/.kedge-rootfs-ready"
  fi
  echo "$dir"
}

# Runs a command inside a rootfs with /proc, /sys and /dev mounted, unmounting them afterwards.
# Usage: in_chroot ROOT CMD...
in_chroot() {
  local root=$1
  shift
  ensure_emulation
  mount_chroot "$root"
  local rc=0
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@" || rc=$?
  umount_chroot "$root"
  return $rc
}

mount_chroot() {
  local root=$1
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  # rslave: unmounting the chroot's copies must never propagate to the host's /dev and /sys.
  mountpoint -q "$root/sys" || { mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"; }
  mountpoint -q "$root/dev" || { mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"; }
}

umount_chroot() {
  local root=$1 m
  for m in dev sys proc; do
    if mountpoint -q "$root/$m"; then
      umount -R "$root/$m" 2>/dev/null || umount -lR "$root/$m"
    fi
  done
}
