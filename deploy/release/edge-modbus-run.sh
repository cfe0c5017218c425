# Run by deploy/test-release-arm.sh inside `unshare --net` (a network namespace with only
# loopback, so the edge uses its default ports): a Modbus simulator on the host, the installed
# arm64 edge in the rootfs as kedge-edge.service runs it, the device applied to the edge, then
# the readings on the edge's broker. Prints figures as name=value lines.
#   bash edge-modbus-run.sh REPO ROOT DEVICE_YAML MODBUS_PORT WORKDIR
set -euo pipefail
REPO=$1 ROOT=$2 DEV=$3 PORT=$4 WORK=$5
source "$REPO/deploy/release/common.sh"
source "$REPO/deploy/release/rootfs.sh"
ip link set lo up
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  umount_chroot "$ROOT"
}
trap stop_all EXIT
ms() { date +%s%3N; }

node "$REPO/bin/kedge.js" sim modbus --model "$DEV" --tcp "$PORT" >"$WORK/sim.log" 2>&1 &
pids+=($!)
mount_chroot "$ROOT"
t0=$(ms)
# What kedge-edge.service runs: user kedge with its groups (setpriv execs, as systemd does, so the
# exit status is the edge's), the unit's environment, its command line.
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NODE_OPTIONS=--max-semi-space-size=1 MALLOC_ARENA_MAX=2 \
  setpriv --reuid=kedge --regid=kedge --init-groups -- /opt/kedge/bin/kedge edge --config /etc/kedge/edge.yaml \
  >"$WORK/edge.log" 2>&1 &
edge=$!
pids+=("$edge")
node "$REPO/deploy/release/probe.mjs" health http://127.0.0.1:10550/healthz 600000 "$edge" ||
  { tail -n 30 "$WORK/edge.log"; exit 1; }
echo "edge_ready_ms=$(($(ms) - t0))"
t1=$(ms)
node "$REPO/bin/kedge.js" apply -f "$DEV" --edge >"$WORK/apply.log" 2>&1 || { cat "$WORK/apply.log"; exit 1; }
node "$REPO/deploy/release/probe.mjs" readings mqtt://127.0.0.1:1884 default/iologik-e1214-pump-house 5 300000 \
  >"$WORK/readings.json" || { tail -n 30 "$WORK/edge.log"; exit 1; }
echo "five_cleansed_messages_after_apply_ms=$(($(ms) - t1))"
echo "readings=$(cat "$WORK/readings.json")"
# RSS of the edge and its mapper as qemu runs them (the emulator's memory included).
ps -eo rss=,args= | awk '/\/opt\/kedge\/bin\/kedge\.js (edge|mapper)/ && !/awk/ { printf "rss_under_qemu_kb=%s %s\n", $1, ($0 ~ / mapper/ ? "mapper" : "edge") }' || true
t2=$(ms)
kill -TERM "$edge"
rc=0
wait "$edge" || rc=$?
echo "edge_sigterm_exit=$rc stop_ms=$(($(ms) - t2))"
grep -c '"level":50' "$WORK/edge.log" | sed 's/^/edge_error_lines=/' || true
[ "$rc" = 0 ]
