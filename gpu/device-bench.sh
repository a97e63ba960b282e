#!/usr/bin/env bash
# 'spillway bench' on the GPU machine (issue 16): that disk's fio limit and Spillway's same-run
# ratios, from the bundle that 'gpu/device-test.sh --bench-bundle DIR' packs (it copies this
# script into DIR; --bundle's is too big for one call, with the working tree, at 64 MiB).
# $SPILLWAY_JAVA_OPTS adds JVM flags, e.g. a flight recording for a profile:
#   SPILLWAY_JAVA_OPTS="-XX:StartFlightRecording=filename=$OUT/bench.jfr,settings=profile"
# (the runtime carries jdk.jfr). The machine has no JDK, no network and maybe no fio, so everything comes in DIR.
#
#   here:  echo '/.gpu-bench/' >> .git/info/exclude
#          [SPILLWAY_FIO=/path/to/fio] gpu/device-test.sh --bench-bundle .gpu-bench
#   there: bash .gpu-bench/device-bench.sh .gpu-bench     (device tool: carry .gpu-bench, timeout_s 600)
#
# SPILLWAY_FIO names a self-contained fio binary to carry (Debian's own needs 80 MB of shared
# libraries: Ceph, GlusterFS, ICU). A static one (2.8 MB stripped, libaio, io_uring and psync),
# built from Debian's source with nothing installed, everything under /tmp/fio-build:
#   mkdir -p /tmp/fio-build/parts /tmp/fio-build/lists/partial && cd /tmp/fio-build
#   printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > parts/src.sources
#   o="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$PWD/parts -o Dir::State::Lists=$PWD/lists"
#   apt-get $o update && apt-get $o source --download-only fio && apt-get download libaio-dev
#   dpkg -x libaio-dev_*.deb aio && tar xzf fio_*.orig.tar.gz && cd fio-3.*
#   export LIBRARY_PATH=/tmp/fio-build/aio/usr/lib/x86_64-linux-gnu     # the static libaio.a
#   ./configure --build-static --disable-native --disable-numa --disable-rdma --disable-rados --disable-rbd \
#       --disable-http --disable-gfapi --disable-libnfs --disable-pmem --disable-xnvme --disable-libzbc \
#       --disable-tcmalloc --disable-dfs --extra-cflags=-I/tmp/fio-build/aio/usr/include
#   make -j2 && strip -o /tmp/fio-build/fio fio
#   /tmp/fio-build/fio --enghelp | grep -E 'libaio|io_uring'    # then SPILLWAY_FIO=/tmp/fio-build/fio
#
# Steps, there:
#   1. unpack the payload (the jlink runtime, the CLI and its jars, RocksDB's library) into /tmp;
#   2. fio: the carried one first on the PATH if it runs there, else the machine's own; with
#      none the bench says "fio is not installed" and still reports every other row;
#   3. record the machine (cores, memory, kernel, the file system and device under the bench
#      directory, fio's version) in $OUT/machine.txt;
#   4. run the bench with the issue's settings ($BENCH_ARGS replaces them) under a deadline
#      ($BENCH_TIMEOUT seconds, default 540, inside the device tool's 10 minutes): the table of
#      each run is printed as it ends, and --json is rewritten after every run, so a run cut
#      short still brings back what it measured. Output: $OUT/bench.log, $OUT/bench.json.
set -euo pipefail

dir="$(cd "${1:?usage: $0 BUNDLE_DIR}" && pwd)"
out="${OUT:-/tmp/spillway-bench-out}"
bench_dir="${BENCH_DIR:-/tmp/spillway-bench}"
run="/tmp/spillway-bench-run"
mkdir -p "$out"
rm -rf "$run" "$bench_dir" && mkdir -p "$run" "$bench_dir"
# 1.
tar -C "$run" -xzf "$dir/payload.tar.gz"
# 2.
fio_note="no fio carried in the bundle"
if [[ -x "$dir/fio" ]]; then
    mkdir -p "$run/bin" && cp "$dir/fio" "$run/bin/fio"
    if "$run/bin/fio" --version >/dev/null 2>&1; then
        export PATH="$run/bin:$PATH"
        fio_note="carried fio $("$run/bin/fio" --version)"
    else
        fio_note="the carried fio does not run here: $("$run/bin/fio" --version 2>&1 | head -n 1)"
    fi
fi
# 3.
{
    echo "cores: $(nproc)"
    grep -E '^(MemTotal|Hugepagesize)' /proc/meminfo || true
    echo "kernel: $(uname -r)"
    echo "transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
    echo "io_uring_disabled: $(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 'not present')"
    df -hT "$bench_dir" || true
    if command -v lsblk >/dev/null; then lsblk -o NAME,SIZE,ROTA,TYPE,MODEL,SCHED 2>/dev/null || true; fi
    echo "fio: $fio_note; on the PATH: $(command -v fio || echo none)"
} 2>&1 | tee "$out/machine.txt"
# 4.
# 1 GiB per target, medians of 3 interleaved runs, 256 KiB, 2 MiB and 32 MiB, durability none and
# batch, both file-per-block peers, fio at its best; no mixed workload and no BlobDB, which would
# not fit the deadline (about 15 s more per size and run).
# Since the bench reads fio's files twice and times the second pass (schema 7), and loads each
# target three times (schema 5), the three sizes take longer than one call allows (the JVM's
# warm-up, schema 6, adds one untimed round of the first size's targets): 256 KiB and 2 MiB took
# 260-373 s there, 32 MiB with the lookups 141 s (2026-12-05 and 12-07). Run it as two calls, e.g.
#   BENCH_ARGS="--runs 3 --bytes 1GiB --block-sizes 256KiB,2MiB --durability none,batch --compare fio,file-per-block,file-per-block-fsync --workloads dump,load"
# then --block-sizes 32MiB with --workloads dump,load,lookup, each with its own OUT.
read -r -a args <<<"${BENCH_ARGS:---runs 3 --bytes 1GiB --block-sizes 256KiB,2MiB,32MiB --durability none,batch --compare fio,file-per-block,file-per-block-fsync --workloads dump,load,lookup}"
set -o pipefail
rc=0
timeout --signal=TERM --kill-after=15 "${BENCH_TIMEOUT:-540}" \
    "$run/jre/bin/java" --enable-native-access=ALL-UNNAMED -Xmx8g -Djava.library.path="$run" ${SPILLWAY_JAVA_OPTS:-} \
    -cp "$run/lib/*" io.spillway.cli.SpillwayCli bench --dir "$bench_dir" --json "$out/bench.json" "${args[@]}" \
    2>"$out/bench.err" | tee "$out/bench.log" || rc=$?
tail -n 5 "$out/bench.err" || true
rm -rf "$bench_dir"
[[ $rc -eq 124 ]] && echo "bench cut short at ${BENCH_TIMEOUT:-540} s: $out/bench.json holds the runs that ended"
exit "$rc"
