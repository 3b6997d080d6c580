#!/usr/bin/env bash
# The installed-binary timing of issue 43: `basis fit` (BASiS, 100 iterations on 1,400 × 64
# points) started the way an installed binary is (no GOMP_SPINCOUNT from cargo), with another
# busy process on the machine, against the same binary forced to libgomp's default spin count
# (GOMP_SPINCOUNT=300000, what an installed `basis` ran with before it set the variable
# itself). Alternates the two settings ROUNDS times and writes one JSON line per run.
#
#   scripts/gomp_spincount.sh [BASIS_BINARY] [ROUNDS] > docs/results/gomp-spincount.jsonl
set -euo pipefail
BASIS=${1:-target/release/basis}
ROUNDS=${2:-3}
WORK=$(mktemp -d)
trap 'kill $LOAD 2>/dev/null || true; rm -rf "$WORK"' EXIT
# 1,400 points in 64 dimensions: 7 Gaussian clusters, written as CSV by awk (seeded).
awk -v seed=7 'BEGIN { srand(seed); for (i = 0; i < 1400; i++) { c = i % 7;
  for (j = 0; j < 64; j++) { u = rand(); v = rand(); g = sqrt(-2 * log(u + 1e-12)) * cos(6.2831853 * v);
    printf "%s%.6f", (j ? "," : ""), (j == c ? 5 : 0) + g } printf "\n" } }' > "$WORK/x.csv"
# The other work: one busy process for the whole measurement.
( while :; do :; done ) & LOAD=$!
run() { # $1: label, rest: env assignments
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  env -u GOMP_SPINCOUNT "$@" "$BASIS" fit --input "$WORK/x.csv" --out "$WORK/fit" \
    --iterations 100 --k 7 --anchors uniform --anchors-per-class 5 --batch-size 256 \
    --no-progress > /dev/null 2>&1
  t1=$(date +%s.%N)
  printf '{"setting": "%s", "seconds": %.2f}\n' "$label" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}
for r in $(seq "$ROUNDS"); do
  run "unset (the binary sets 3000)"
  run "GOMP_SPINCOUNT=300000 (libgomp default)" GOMP_SPINCOUNT=300000
done
