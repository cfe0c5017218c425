#!/bin/sh
# Installs a kedge release artifact on a Raspberry Pi or any systemd machine.
#
#   sudo ./install.sh [options]               from inside an unpacked artifact
#   sudo ./install.sh --artifact kedge-0.1.0-linux-arm64.tar.gz [options]
#   sudo ./install.sh --uninstall [--purge]
#
# Options:
#   --role edge|cloud|both   what runs here (default edge; cloud = the cloud side on a server)
#   --node NAME              the edge's node name (default: asked; the host name without --yes)
#   --cloud-url URL          CloudHub, e.g. ws://cloud.example:10000 (default: asked; empty = standalone)
#   --token TOKEN            the nodes' join token (the cloud's --token-file content)
#   --token-file FILE        the same, from a file
#   --yes                    ask nothing: take the options and defaults
#   --no-start               write everything, enable nothing, start nothing
#   --root DIR               install into another root filesystem (an image, a test): no service is started
#   --force                  install even if the artifact is for another CPU
#   --uninstall              stop and remove the services, /opt/kedge, the kedge user; keeps /etc/kedge
#                            and /var/lib/kedge (with --purge: removes them too)
#
# Layout: /opt/kedge (the artifact, root-owned), /etc/kedge (edge.yaml, cloud.yaml, token; root:kedge
# 0750/0640), /var/lib/kedge/{edge,cloud} (data; kedge 0750), /etc/systemd/system/kedge-*.service,
# /usr/local/bin/kedge. Services run as the system user kedge (groups dialout and gpio where they exist).
set -eu

ROLE=edge NODE= CLOUD_URL= CLOUD_URL_SET=0 TOKEN= TOKEN_FILE= YES=0 START=1 ROOT= FORCE=0 UNINSTALL=0 PURGE=0
ARTIFACT= NODE_SET=0

die() {
  echo "install.sh: error: $*" >&2
  exit 1
}
say() { echo "install.sh: $*"; }

usage() {
  sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --role) ROLE=${2:-}; shift 2 ;;
    --node) NODE=${2:-}; NODE_SET=1; shift 2 ;;
    --cloud-url) CLOUD_URL=${2:-}; CLOUD_URL_SET=1; shift 2 ;;
    --token) TOKEN=${2:-}; shift 2 ;;
    --token-file) TOKEN_FILE=${2:-}; shift 2 ;;
    --artifact) ARTIFACT=${2:-}; shift 2 ;;
    --yes | -y) YES=1; shift ;;
    --no-start) START=0; shift ;;
    --root) ROOT=${2:-}; shift 2 ;;
    --force) FORCE=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage 2 >&2 ;;
  esac
done

case "$ROLE" in edge | cloud | both) ;; *) die "--role must be edge, cloud or both (got '$ROLE')" ;; esac
[ "$(id -u)" = 0 ] || die "run as root (sudo $0 ...): it creates a user, /opt/kedge and systemd units"
if [ -n "$ROOT" ]; then
  [ -d "$ROOT/etc" ] || die "--root $ROOT has no etc/ (give the root of a Linux filesystem)"
  ROOT=$(cd "$ROOT" && pwd)
  START=0
fi

PREFIX=/opt/kedge
ETC=/etc/kedge
VAR=/var/lib/kedge
UNITS=/etc/systemd/system
R=$ROOT # every path written below is "$R/..."

# Whether a running systemd manages this root (not in a chroot, a container build or --root).
systemd_running() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

# ---------------------------------------------------------------------------------------------
uninstall() {
  for unit in kedge-edge.service kedge-cloud.service; do
    [ -f "$R$UNITS/$unit" ] || continue
    if systemd_running; then
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    elif [ -n "$ROOT" ] && command -v systemctl >/dev/null; then
      systemctl --root="$R" disable "$unit" >/dev/null 2>&1 || true
    fi
    rm -f "$R$UNITS/$unit"
    rm -f "$R$UNITS/multi-user.target.wants/$unit"
    say "removed $UNITS/$unit"
  done
  systemd_running && systemctl daemon-reload || true
  rm -rf "$R$PREFIX" "$R$PREFIX.new" "$R$PREFIX.old"
  [ -L "$R/usr/local/bin/kedge" ] && rm -f "$R/usr/local/bin/kedge"
  if grep -q '^kedge:' "$R/etc/passwd" 2>/dev/null; then
    userdel ${ROOT:+--root "$ROOT"} kedge 2>/dev/null || die "userdel kedge failed (is a kedge process still running?)"
    say "removed the user kedge"
  fi
  if grep -q '^kedge:' "$R/etc/group" 2>/dev/null; then groupdel ${ROOT:+--root "$ROOT"} kedge 2>/dev/null || true; fi
  if [ "$PURGE" = 1 ]; then
    rm -rf "$R$ETC" "$R$VAR"
    say "removed $ETC and $VAR (--purge)"
  else
    [ -d "$R$ETC" ] || [ -d "$R$VAR" ] && say "kept $ETC and $VAR (configuration, token, data); --purge removes them"
  fi
  say "kedge is uninstalled"
}

if [ "$UNINSTALL" = 1 ]; then
  uninstall
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# The artifact: a tarball, or the folder this script sits in (deploy/install.sh inside it).
SRC=
TMP=
cleanup() { if [ -n "$TMP" ]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT
if [ -n "$ARTIFACT" ]; then
  [ -f "$ARTIFACT" ] || die "--artifact $ARTIFACT: no such file"
  TMP=$(mktemp -d)
  tar -xzf "$ARTIFACT" -C "$TMP" || die "--artifact $ARTIFACT is not a .tar.gz"
  SRC=$(find "$TMP" -mindepth 2 -maxdepth 2 -name RELEASE -printf '%h\n' | head -n 1)
  [ -n "$SRC" ] || die "$ARTIFACT is not a kedge release artifact (no RELEASE file; build one with deploy/build-release.sh)"
else
  SRC=$(cd "$(dirname "$0")/.." && pwd)
  [ -f "$SRC/RELEASE" ] ||
    die "$SRC is not an unpacked release artifact (no RELEASE file): give --artifact kedge-<version>-linux-<arch>.tar.gz"
fi

release_field() { sed -n "s/^$1=//p" "$SRC/RELEASE"; }
VERSION=$(release_field version)
WANT_CPU=$(release_field uname_m)
# The userland's CPU, not the kernel's: 32-bit Raspberry Pi OS runs a 64-bit kernel on a Pi 4/5
# (uname -m says aarch64) under an armhf userland, where only the armv7 artifact runs.
userland_cpu() {
  arch=
  if [ -f "$R/var/lib/dpkg/status" ]; then
    arch=$(awk '/^Package: base-files$/ { p = 1 } p && /^Architecture:/ { print $2; exit }' "$R/var/lib/dpkg/status")
  fi
  case "$arch" in
    arm64) echo aarch64 ;;
    armhf) [ "$(uname -m)" = armv6l ] && echo armv6l || echo armv7l ;;
    amd64) echo x86_64 ;;
    *) uname -m ;;
  esac
}
HAVE_CPU=$(userland_cpu)
if [ "$WANT_CPU" != "$HAVE_CPU" ] && [ "$FORCE" = 0 ]; then
  hint=
  case "$HAVE_CPU" in aarch64) hint=" (use the linux-arm64 artifact)" ;; armv7l) hint=" (use the linux-armv7 artifact)" ;;
    x86_64) hint=" (use the linux-x64 artifact)" ;; armv6l) hint=" (Node 20 does not run on ARMv6: Pi Zero/1 are not supported)" ;; esac
  die "this artifact is for $WANT_CPU, this machine is $HAVE_CPU$hint; --force installs it anyway"
fi

# The Node runtime: the artifact's own, else a system Node 20 or later.
if [ -x "$SRC/node/bin/node" ]; then
  NODE_BIN=$PREFIX/node/bin/node
else
  sys_node=$(command -v node || true)
  [ -n "$sys_node" ] || die "this artifact has no Node runtime and there is no node on PATH: install Node 20 (README, 'On a Raspberry Pi') or use an artifact built without --no-node"
  major=$("$sys_node" -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "node on PATH is $("$sys_node" --version); kedge needs Node 20 or later (README, 'On a Raspberry Pi')"
  NODE_BIN=$sys_node
fi

# ---------------------------------------------------------------------------------------------
# Questions (asked only on a terminal and without --yes).
interactive() { [ "$YES" = 0 ] && [ -t 0 ]; }
ask() { # ask VAR "question" default
  printf '%s [%s]: ' "$2" "$3" >&2
  read -r answer || answer=
  eval "$1=\${answer:-\$3}"
}

default_node_name() {
  hostname 2>/dev/null | tr 'A-Z_' 'a-z-' | sed 's/[^a-z0-9.-]//g; s/^[-.]*//; s/[-.]*$//'
}

valid_node_name() { echo "$1" | grep -Eq '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'; }

has_edge() { [ "$ROLE" = edge ] || [ "$ROLE" = both ]; }
has_cloud() { [ "$ROLE" = cloud ] || [ "$ROLE" = both ]; }

# An upgrade (edge.yaml there, no --node or --cloud-url given) keeps the edge's configuration.
KEEP_EDGE=0
if has_edge && [ -f "$R$ETC/edge.yaml" ] && [ "$NODE_SET" = 0 ] && [ "$CLOUD_URL_SET" = 0 ]; then KEEP_EDGE=1; fi

if has_edge && [ "$KEEP_EDGE" = 0 ]; then
  if [ "$NODE_SET" = 0 ]; then
    NODE=$(default_node_name)
    [ -n "$NODE" ] || NODE=edge-1
    if interactive; then ask NODE "node name" "$NODE"; fi
  fi
  valid_node_name "$NODE" || die "node name '$NODE' is not a DNS-1123 name (lower-case letters, digits, '-' and '.')"
  if [ "$CLOUD_URL_SET" = 0 ] && interactive; then
    ask CLOUD_URL "cloud URL (ws://host:port of CloudHub; empty = standalone)" ""
  fi
  case "$CLOUD_URL" in '' | ws://* | wss://*) ;; *) die "cloud URL '$CLOUD_URL' must start with ws:// or wss://" ;; esac
fi

if [ -n "$TOKEN_FILE" ]; then
  [ -r "$TOKEN_FILE" ] || die "--token-file $TOKEN_FILE cannot be read"
  TOKEN=$(head -n 1 "$TOKEN_FILE")
fi
if [ -z "$TOKEN" ] && has_edge && [ "$KEEP_EDGE" = 0 ] && [ -n "$CLOUD_URL" ] && ! has_cloud && interactive; then
  printf 'join token (the content of the cloud'"'"'s token file; empty = none): ' >&2
  stty -echo 2>/dev/null || true
  read -r TOKEN || TOKEN=
  stty echo 2>/dev/null || true
  echo >&2
fi
if [ -n "$TOKEN" ] && [ "${#TOKEN}" -lt 16 ]; then die "the join token has ${#TOKEN} characters; kedge needs at least 16"; fi

# ---------------------------------------------------------------------------------------------
# The kedge user and group (system account, no login, no home of its own).
ensure_user() {
  if ! grep -q '^kedge:' "$R/etc/group"; then groupadd ${ROOT:+--root "$ROOT"} --system kedge; fi
  if ! grep -q '^kedge:' "$R/etc/passwd"; then
    nologin=/usr/sbin/nologin
    if [ ! -x "$R$nologin" ] && [ -x "$R/sbin/nologin" ]; then nologin=/sbin/nologin; fi
    useradd ${ROOT:+--root "$ROOT"} --system --gid kedge --home-dir "$VAR" --no-create-home --shell "$nologin" \
      --comment "kedge gateway" kedge
    say "created the system user kedge"
  fi
  # Serial ports (dialout) and GPIO (gpio, on Raspberry Pi OS), where those groups exist.
  for g in dialout gpio; do
    if grep -q "^$g:" "$R/etc/group"; then usermod ${ROOT:+--root "$ROOT"} -a -G "$g" kedge; fi
  done
  # Numeric ids from the target's own files (under --root, names would resolve on this machine).
  KUID=$(awk -F: '$1 == "kedge" { print $3 }' "$R/etc/passwd")
  KGID=$(awk -F: '$1 == "kedge" { print $3 }' "$R/etc/group")
  [ -n "$KUID" ] && [ -n "$KGID" ] || die "the user kedge was not created in $R/etc/passwd"
}

# The artifact into /opt/kedge, swapped in whole (an upgrade never leaves half of two versions).
install_files() {
  rm -rf "$R$PREFIX.new"
  mkdir -p "$R$PREFIX.new"
  cp -a "$SRC/." "$R$PREFIX.new/"
  chown -R 0:0 "$R$PREFIX.new"
  chmod -R u+rwX,go+rX,go-w "$R$PREFIX.new"
  cat >"$R$PREFIX.new/bin/kedge" <<EOF
#!/bin/sh
# Written by install.sh: kedge with the Node runtime chosen at install time.
exec $NODE_BIN $PREFIX/bin/kedge.js "\$@"
EOF
  chmod 0755 "$R$PREFIX.new/bin/kedge"
  if [ -d "$R$PREFIX" ]; then
    rm -rf "$R$PREFIX.old"
    mv "$R$PREFIX" "$R$PREFIX.old"
  fi
  mv "$R$PREFIX.new" "$R$PREFIX"
  rm -rf "$R$PREFIX.old"
  mkdir -p "$R/usr/local/bin"
  ln -sfn "$PREFIX/bin/kedge" "$R/usr/local/bin/kedge"
  say "installed kedge $VERSION into $PREFIX (node: $NODE_BIN)"
}

# Configuration root:kedge 0750/0640 (kedge reads it, cannot change it); data kedge:kedge 0750.
install_dirs() {
  install -d -m 0750 -o 0 -g "$KGID" "$R$ETC"
  install -d -m 0750 -o "$KUID" -g "$KGID" "$R$VAR"
  has_edge && install -d -m 0750 -o "$KUID" -g "$KGID" "$R$VAR/edge"
  has_cloud && install -d -m 0750 -o "$KUID" -g "$KGID" "$R$VAR/cloud"
  return 0
}

# Writes FILE (under the root) from stdin as root:kedge 0640, keeping an existing one unless asked.
write_config() {
  umask 027
  cat >"$R$1.tmp"
  chown "0:$KGID" "$R$1.tmp"
  chmod 0640 "$R$1.tmp"
  mv "$R$1.tmp" "$R$1"
  umask 022
}

random_token() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# The link credential. Today that is the shared token CloudHub checks (--token-file). Per-node
# certificates (`kedge edge join`) belong here when kedge has them: this is the one place that
# turns what the user gave into what the edge presents to the cloud.
configure_link_credentials() {
  if has_cloud && [ -z "$TOKEN" ] && [ ! -s "$R$ETC/token" ]; then
    TOKEN=$(random_token)
    say "generated a join token in $ETC/token: copy that file to each gateway (install.sh --token-file)"
  fi
  if [ -n "$TOKEN" ]; then
    printf '%s\n' "$TOKEN" | write_config "$ETC/token"
  fi
  if has_cloud && [ ! -s "$R$ETC/api-token" ]; then
    random_token | write_config "$ETC/api-token"
    say "generated the cloud API token in $ETC/api-token (kedge CLI: --token-file $ETC/api-token)"
  fi
}

write_edge_config() {
  {
    echo "# Written by install.sh. Change it, then: systemctl restart kedge-edge"
    echo "# Every field: kedge config print -c $ETC/edge.yaml"
    echo "edge:"
    echo "  node: $NODE"
    echo "  dataDir: $VAR/edge"
    if [ -n "$CLOUD_URL" ]; then echo "  cloud: $CLOUD_URL"; else echo "  # cloud: ws://cloud.example:10000   (standalone without it)"; fi
    if [ -s "$R$ETC/token" ]; then echo "  cloudTokenFile: $ETC/token"; fi
    echo "  # Mapper drivers inside the edge process: the edge and a Modbus mapper for 100 devices take"
    echo "  # about 93 MB RSS so, 152 MB as two processes (bench/RESULTS.md, issue 19). 'process' runs each"
    echo "  # mapper as a process of its own, so that a driver's crash does not restart the edge."
    echo "  mappers: inprocess"
  } | write_config "$ETC/edge.yaml"
}

write_cloud_config() {
  {
    echo "# Written by install.sh. Change it, then: systemctl restart kedge-cloud"
    echo "# Every field and its default (ports): kedge config print -c $ETC/cloud.yaml"
    echo "cloud:"
    echo "  dataDir: $VAR/cloud"
    echo "  tokenFile: $ETC/token"
    echo "  apiTokenFile: $ETC/api-token"
  } | write_config "$ETC/cloud.yaml"
}

install_units() {
  mkdir -p "$R$UNITS"
  for role in edge cloud; do
    if { [ "$role" = edge ] && has_edge; } || { [ "$role" = cloud ] && has_cloud; }; then
      install -m 0644 "$SRC/deploy/systemd/kedge-$role.service" "$R$UNITS/kedge-$role.service"
      say "wrote $UNITS/kedge-$role.service"
    fi
  done
}

enable_units() {
  units=
  has_edge && units="$units kedge-edge.service"
  has_cloud && units="$units kedge-cloud.service"
  if [ "$START" = 0 ]; then
    if [ -n "$ROOT" ] && command -v systemctl >/dev/null; then
      # shellcheck disable=SC2086
      systemctl --root="$R" enable $units >/dev/null 2>&1 && say "enabled$units in $ROOT (they start at its next boot)"
    else
      say "not started (--no-start): systemctl enable --now$units"
    fi
    return
  fi
  if ! systemd_running; then
    say "systemd is not running here: start them on the target with systemctl enable --now$units"
    return
  fi
  systemctl daemon-reload
  # shellcheck disable=SC2086
  systemctl enable $units >/dev/null
  # shellcheck disable=SC2086
  systemctl restart $units
  say "started$units (journalctl -u kedge-edge -f)"
}

ensure_user
install_files
install_dirs
configure_link_credentials
if has_edge; then
  if [ "$KEEP_EDGE" = 1 ]; then say "kept $ETC/edge.yaml (--node or --cloud-url rewrite it)"; else write_edge_config; fi
fi
if has_cloud; then
  if [ -f "$R$ETC/cloud.yaml" ]; then say "kept $ETC/cloud.yaml"; else write_cloud_config; fi
fi
install_units
enable_units
if has_edge && [ "$KEEP_EDGE" = 0 ] && [ -n "$CLOUD_URL" ] && [ ! -s "$R$ETC/token" ]; then
  say "warning: no join token: the cloud lets this node in only if it runs without --token-file"
fi
say "done: kedge $VERSION ($ROLE) installed"
