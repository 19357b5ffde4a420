#!/usr/bin/env bash
# Room fan-out, Soundroom against the Apollo anchor (../shared/anchors/apollo-server.mjs, its
# packages installed with `npm ci` next to it), in one run with interleaved targets: for every
# setup and round, each target in turn, started fresh by loadgen and stopped after it.
#
#   cargo build --release
#   bench/rooms.sh                     # 3 runs of each setup
#
# Env:
#   RUNS (3)             runs per setup and target
#   SETUPS               "rooms:members[:chat rounds] ..." (default "41:49 5:40 1:50:5")
#   ANCHOR               the anchor's apollo-server.mjs (default ../shared/anchors/apollo-server.mjs)
#   BASELINE_BIN         also measure this soundroom binary (e.g. a build of the previous commit)
#   POSTGRES_URL         also measure Soundroom on PostgreSQL (a schema per run, dropped after)
#   ROUNDS (20)          seek rounds per run
#   LOADGEN              the load generator (default $CARGO_TARGET_DIR/release/loadgen, or target/)
# Prints every run's RESULT line and writes them to $OUT (default bench/rooms-results.txt).
set -u -o pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SETUPS=${SETUPS:-"41:49 5:40 1:50:5"}
ANCHOR=${ANCHOR:-../shared/anchors/apollo-server.mjs}
ROUNDS=${ROUNDS:-20}
OUT=${OUT:-bench/rooms-results.txt}
LOADGEN=${LOADGEN:-${CARGO_TARGET_DIR:-./target}/release/loadgen}
[ -x "$LOADGEN" ] || { echo "build first: cargo build --release"; exit 2; }
: > "$OUT"

targets=(soundroom)
[ -n "${BASELINE_BIN:-}" ] && targets+=(baseline)
[ -n "${POSTGRES_URL:-}" ] && targets+=(postgres)
[ -f "$ANCHOR" ] && targets+=(apollo)

for setup in $SETUPS; do
  IFS=: read -r rooms members chat <<< "$setup"
  for run in $(seq "$RUNS"); do
    for target in "${targets[@]}"; do
      args=(--rooms "$rooms" --members "$members" --rounds "$ROUNDS" --label "$target/${rooms}x$members/run$run")
      case "$target" in
        soundroom) args+=(--spawn ${chat:+--chat-rounds "$chat"});;
        baseline) args+=(--spawn --server-bin "$BASELINE_BIN" ${chat:+--chat-rounds "$chat"});;
        postgres) args+=(--spawn --postgres "$POSTGRES_URL" ${chat:+--chat-rounds "$chat"});;
        apollo) args+=(--anchor-spawn "$ANCHOR");;
      esac
      echo "== $target, $rooms rooms x $members members, run $run (load $(cut -d' ' -f1 /proc/loadavg))"
      "$LOADGEN" "${args[@]}" 2>&1 | tee /dev/stderr | grep '^RESULT' >> "$OUT"
    done
  done
done
echo "results in $OUT"
column -t "$OUT" 2>/dev/null || cat "$OUT"
