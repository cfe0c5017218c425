#!/usr/bin/env bash
# kedge against Node-RED on the same Modbus-TCP-to-MQTT workload, through the shared harness
# (`../shared/peer-bench/` next to the kedge checkout; its README says what a run measures).
# This script only points the harness at THIS checkout and records the load beside every result.
#
#   bench/peer-bench.sh vs RESULTS.jsonl              # Node-RED and kedge alternating, the four rows of issue 20
#   bench/peer-bench.sh kedge D R T DURATION          # one kedge run (JSON line on stdout)
#   bench/peer-bench.sh nodered D R T DURATION        # one Node-RED run
#   bench/peer-bench.sh table RESULTS.jsonl...        # the Markdown table of result files
#
# Environment (all optional):
#   KEDGE_DIR        the kedge checkout to run (default: this one), e.g. another build to pair with
#   PEER_BENCH_DIR   the harness (default: ../shared/peer-bench from the checkout or from /work/main)
#   CONFIGS REPS WARMUP SIM_MODE KEEP_SUB_LOG ...   passed to the harness (see its README)
#   MAX_LOAD         `vs` starts a run only below this 1-minute load (default 1.0, the harness's); on a
#                    machine shared with other work set it higher and read the load in each result line
#                    (load_1min_start), since CPU time per reading still compares, wall-clock figures
#                    (latency, delivered ratio) less so.
# Needs: `npm ci` (or `npm run build`) done in this checkout; the harness's setup.sh (run here,
# idempotent) installs mosquitto and, under /tmp, Node-RED and the simulator's modbus-serial.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${KEDGE_DIR:-$HERE}
PEER=${PEER_BENCH_DIR:-}
if [ -z "$PEER" ]; then
  for c in "$HERE/../shared/peer-bench" "$(dirname "$HERE")/../shared/peer-bench" /work/shared/peer-bench; do
    [ -f "$c/run-bench.sh" ] && { PEER=$(cd "$c" && pwd); break; }
  done
fi
[ -n "$PEER" ] && [ -f "$PEER/run-bench.sh" ] || { echo "peer-bench not found: set PEER_BENCH_DIR" >&2; exit 2; }
[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "$ROOT/dist missing: run npm ci (or npm run build) first" >&2; exit 2; }

"$PEER/setup.sh" >&2
export KEDGE_DIR=$ROOT
# The harness's wrapper starts `kedge cloud` and `kedge edge --cloud ws://...` without certificates:
# a lab link, which the cloud serves only when asked to (since issue 18).
export KEDGE_CLOUD__INSECURE_LINK=true
load1() { cut -d' ' -f1 /proc/loadavg; }

mode=${1:-}
shift || true
case "$mode" in
  vs)
    out=${1:?usage: peer-bench.sh vs RESULTS.jsonl}
    exec "$PEER/kedge/run-vs-nodered.sh" "$out"
    ;;
  kedge | nodered)
    [ $# -eq 4 ] || { echo "usage: peer-bench.sh $mode D R T DURATION" >&2; exit 2; }
    extra="load_1min_start=$(load1) ${RESULT_EXTRA:-}"
    if [ "$mode" = kedge ]; then
      RESULT_EXTRA=$extra GATEWAY_NAME="kedge@$(git -C "$ROOT" rev-parse --short HEAD)" \
        GATEWAY_CMD="$PEER/kedge/start.sh" TOPIC_PREFIX=kedge/telemetry WARMUP=${WARMUP:-30} \
        exec "$PEER/run-bench.sh" "$@"
    fi
    RESULT_EXTRA=$extra WARMUP=${WARMUP:-30} exec "$PEER/run-bench.sh" "$@"
    ;;
  table)
    exec node "$PEER/lib/table.mjs" "$@"
    ;;
  *)
    sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
