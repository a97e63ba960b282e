#!/usr/bin/env bash
# The Python-side figures on the GPU machine, in one device call: the daemon's lookup round trip,
# serve-bench (daemon against embedded), and the TTFT table. The GPU machine has no JDK and no
# network, so the daemon comes from the bundle that `gpu/device-test.sh --bundle DIR` builds (a
# jlink runtime plus the CLI's jars); the Python package is this checkout's python/src.
#
#   here:   echo '/.gpu-bundle/' >> .git/info/exclude; gpu/device-test.sh --bundle .gpu-bundle
#   device: bash python/benchmarks/device-run.sh .gpu-bundle STEP...     (carry: .gpu-bundle)
#
# STEPs, run in the order given (each logs to $OUT/<step>.log and prints a summary line):
#   smoke          the TTFT script on the tiny model (two short rows, one with a disk mode): checks the wiring fast
#   lookup         python/benchmarks/lookup_rtt.py (1,000-key lookup_prefix p50/p99)
#   serve-bench    ./spillway serve-bench at 256 KiB and 2 MiB on this machine's disk
#   bench          ./spillway bench (the disk limit: fio's best, if fio is there, and the ratios)
#   cache-bench    ./spillway bench --workloads cache (DRAM hits against memcpy, Zipf, warm reopen)
#   ttft[:MODEL]   python/benchmarks/ttft.py, every row, modes full, dram and disk; MODEL is qwq-32b
#                  (default) or llama-3.1-8b
#   hf-test        pytest of spillway.hf against this machine's transformers and GPU:
#                  test_hf_transformers.py (a tiny random Llama, float32 on the CPU and bfloat16 on
#                  CUDA, each against Cache|Disk and Disk daemons) and test_hf_staging.py (the CPU
#                  staging); conftest's daemons find the bundle's launcher through $SPILLWAY_LAUNCHER
# $TTFT_ARGS adds arguments to the ttft steps (e.g. "--lengths 16000 --concurrency 1").
set -euo pipefail

bundle="$(cd "$1" && pwd)"
shift
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${OUT:-/tmp/spillway-device-out}"
run=/tmp/spillway-device-run
mkdir -p "$out"
rm -rf "$run" && mkdir -p "$run"
tar -C "$run" -xzf "$bundle/payload.tar.gz"

# A launcher over the bundle's runtime with the JVM flags ./spillway passes (./spillway itself
# would look for Maven to build the CLI): native access for FFM and JNI; the opens, exports and
# jdk.compiler that Chronicle Map (the DRAM tier's index) needs; sun.nio.ch for peer pids.
cat >"$run/spillway" <<EOF
#!/usr/bin/env bash
exec "$run/jre/bin/java" --enable-native-access=ALL-UNNAMED \\
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.lang.reflect=ALL-UNNAMED \\
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \\
  --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-modules jdk.compiler \\
  -Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true \${SPILLWAY_JAVA_OPTS:-} \\
  -Djava.library.path="$run" -cp "$run/lib/*" io.spillway.cli.SpillwayCli "\$@"
EOF
chmod +x "$run/spillway"
export SPILLWAY_LAUNCHER="$run/spillway"
export PYTHONPATH="$repo/python/src${PYTHONPATH:+:$PYTHONPATH}"
py="$(command -v python3)"
store="${STORE_DIR:-/tmp/spillway-device-store}"

{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  nproc
  free -g | head -2
  df -h /tmp /dev/shm | tail -2
  "$py" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)' || true
} 2>&1 | tee "$out/machine.txt"

# The TTFT script runs its own daemons on $store (Cache|Disk, and Disk for the disk rows).
ttft() {
  local model="$1" extra="$2" name="$3"
  rm -rf "$store"
  "$py" "$repo/python/benchmarks/ttft.py" --model "$model" --store "$store" --json "$out/$name.json" \
    $extra ${TTFT_ARGS:-} 2>&1 | tee "$out/$name.log" | tail -40
}

for step in "$@"; do
  echo "== $step"
  case "$step" in
  smoke) ttft tiny "--lengths 1024 --concurrency 1,2 --reps 2 --modes full,dram,disk --dram 1GiB --disk-max-bytes 2e6" ttft-smoke ;;
  lookup) "$py" "$repo/python/benchmarks/lookup_rtt.py" --runs 5 2>&1 | tee "$out/lookup.log" | tail -6 ;;
  serve-bench)
    rm -rf "$store"
    "$run/spillway" serve-bench --dir "$store" --bytes 2GiB --runs 5 2>&1 | tee "$out/serve-bench.log" | tail -20
    ;;
  bench)
    rm -rf "$store"
    "$run/spillway" bench --dir "$store" ${BENCH_ARGS:-} 2>&1 | tee "$out/bench.log" | tail -60
    ;;
  cache-bench)
    "$run/spillway" bench --workloads cache --runs "${CACHE_RUNS:-3}" --json "$out/cache-bench.json" 2>&1 \
      | tee "$out/cache-bench.log" | grep -E '^(cache|bench)' | tail -20
    ;;
  hf-test)
    (cd "$repo/python" && "$py" -m pytest -q -rs -p no:cacheprovider tests/test_hf_transformers.py tests/test_hf_staging.py) \
      2>&1 | tee "$out/hf-test.log" | tail -20
    ;;
  ttft | ttft:*)
    model="${step#ttft}"
    model="${model#:}"
    ttft "${model:-qwq-32b}" "--modes ${TTFT_MODES:-full,dram,disk}" "ttft-${model:-qwq-32b}"
    ;;
  *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
rm -rf "$store"
