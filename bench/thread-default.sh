#!/bin/sh
# Is the thread default right? bert-base-uncased, batch 8, sequence 8 and 128, on the CPU: the default against
# --threads 1 and --threads 2, interleaved in rounds, under each OpenBLAS build Debian can make active
# (OpenMP, pthreads). Prints one line per run: BLAS, round, setting, the threads used and how they were chosen,
# and the median seconds per call at each sequence length. A benchmark, not a test: minutes, needs root to
# switch the BLAS (update-alternatives), and restores the OpenMP build at the end.
#
#   sudo sh bench/thread-default.sh [rounds=2]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-2}
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
args=$(mktemp --suffix .json)
out=$(mktemp --suffix .json)
trap 'rm -f "$args" "$out"' EXIT
cat > "$args" <<EOF
{ "models": ["bert-base-uncased"], "batchSizes": [8], "sequenceLengths": [8, 128], "device": "cpu",
  "memory": false, "targetRelCi": 0.03, "maxTimeS": 20 }
EOF

use_blas() {
  for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    update-alternatives --set "$lib-$multiarch" "/usr/lib/$multiarch/openblas-$1/$lib" >/dev/null
  done
}

for blas in openmp pthread; do
  [ -d "/usr/lib/$multiarch/openblas-$blas" ] || { echo "openblas-$blas is not installed (apt-get install libopenblas0-$blas)"; continue; }
  use_blas "$blas"
  round=1
  while [ "$round" -le "$rounds" ]; do
    for setting in default 1 2; do
      if [ "$setting" = default ]; then flags=""; else flags="--threads $setting"; fi
      # shellcheck disable=SC2086
      node packages/cli/dist/bin.js run "$args" $flags --json "$out" --quiet >/dev/null 2>&1
      node -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const e = r.environment;
        const medians = r.records.map((c) => `seq ${c.sequenceLength}: ${c.timeSeconds.median.toFixed(4)} s (n ${c.timeSeconds.count})`).join("  ");
        console.log(`${e.blas.padEnd(20)} round ${process.argv[2]}  ${process.argv[3].padEnd(8)} threads ${e.threads} (${e.threadsChoice.rule})  ${medians}`);
        if (e.threadsChoice.rule === "probe") console.log(`    probe: ${e.threadsChoice.reason}`);
      ' "$out" "$round" "$setting"
    done
    round=$((round + 1))
  done
done
use_blas openmp
