#!/usr/bin/env bash
# The GPU module's device check: correctness on the GPU, then one bandwidth table.
#
#   gpu/device-test.sh --ptx            regenerate the committed PTX from src/main/cuda (needs nvcc)
#   gpu/device-test.sh --bundle DIR     build here and pack what the GPU machine needs into DIR:
#                                       a jlink runtime (Temurin 25), the CLI and its runtime jars
#                                       (slim JCuda and RocksDB jars), librocksdbjni-linux64.so,
#                                       the gpu module's tests, this script and the IPC exporter
#   bash DIR/device-test.sh --run DIR   on the GPU machine: unpack, run 'spillway gpu-check', then
#                                       the gpu module's JUnit tests, logging to $OUT
#   bash DIR/device-bench.sh DIR        on the GPU machine: 'spillway bench' against that disk's fio
#                                       limit (see device-bench.sh; SPILLWAY_FIO=F at --bundle carries fio)
#   gpu/device-test.sh --bench-bundle DIR   the same without what only --run needs (the gpu tests,
#                                       JUnit, javac's ct.sym): about 52 MB instead of 64, since the
#                                       device tool carries at most 64 MiB a call, working tree included
#
# --bundle needs only this checkout and Maven Central (offline, with MAVEN_ARGS=-o: a Maven
# repository holding the third-party dependencies). Both Maven calls build the reactor, so the
# project's own modules come from their target/ directories, never from a repository (where
# other checkouts install SNAPSHOTs, and where a fresh machine has none). Extra Maven arguments
# come from $MAVEN_ARGS, e.g.
#   MAVEN_ARGS="-Dmaven.repo.local=/tmp/m2" gpu/device-test.sh --bundle DIR
# (Maven 3.9 and later read MAVEN_ARGS themselves too; a -D given twice is harmless.)
#
# The GPU machine has no JDK and no network, so everything travels in DIR. With the device tool:
#   echo '/.gpu-bundle/' >> .git/info/exclude; gpu/device-test.sh --bundle .gpu-bundle
#   run: bash .gpu-bundle/device-test.sh --run .gpu-bundle     (carry: .gpu-bundle)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${1:-}" in
--ptx)
    root="$(cd "$here/.." && pwd)"
    nvcc -ptx -arch=compute_90 -O3 -o "$root/gpu/src/main/resources/io/spillway/gpu/spillway_kernels.ptx" \
        "$root/gpu/src/main/cuda/spillway_kernels.cu"
    ;;
--bundle | --bench-bundle)
    bench_only=false
    [[ "$1" == --bench-bundle ]] && bench_only=true
    dest="$(mkdir -p "$2" && cd "$2" && pwd)"
    root="$(cd "$here/.." && pwd)"
    jdk="${SPILLWAY_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
    read -r -a mvn_args <<<"${MAVEN_ARGS:-}"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # 1. The CLI and everything under it, in one reactor build: cli/target/lib then holds every
    #    runtime jar, this checkout's module jars included (the cli pom's copy-dependencies).
    (cd "$root" && mvn -q -B "${mvn_args[@]}" package -DskipTests -pl cli -am)
    mkdir -p "$work/lib"
    cp "$root"/cli/target/spillway-cli-*-SNAPSHOT.jar "$root"/cli/target/lib/*.jar "$work/lib/"
    # 2. The gpu module's JUnit tests, to run where the GPU is (CI only ever skips the GPU ones),
    #    with the JUnit jars. A reactor build again (-am, package), so that resolving the gpu
    #    module's dependencies finds the project's modules here and not in a repository; the
    #    group filter keeps only JUnit's jars.
    mkdir -p "$work/testlib"
    if ! $bench_only; then
        (cd "$root" && mvn -q -B "${mvn_args[@]}" package dependency:copy-dependencies -DskipTests -pl gpu -am \
            -DincludeScope=test -DincludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
            -DoutputDirectory="$work/testlib")
        (cd "$root/gpu/target/test-classes" && zip -q -r "$work/testlib/spillway-gpu-tests.jar" .)
    fi
    # RocksDB: only the x86-64 glibc library, outside the jar. Its NativeLibraryLoader tries
    # System.loadLibrary("rocksdbjni-linux64") before the jar, so java.library.path finds it.
    rjar="$(ls "$work"/lib/rocksdbjni-*.jar)"
    (cd "$work" && unzip -q -o "$rjar" librocksdbjni-linux64.so)
    zip -q -d "$rjar" '*.so' '*.jnilib' '*.dll' >/dev/null
    # JCuda: only the driver API's native library (the module uses nothing else).
    njar="$(ls "$work"/lib/jcuda-natives-*.jar)"
    zip -q -d "$njar" 'lib/libJNvPTXCompiler*' 'lib/libJNvrtc*' 'lib/libJCudaRuntime*' >/dev/null
    # The progress bar's terminal library: gpu-check draws no progress bar.
    rm -f "$work"/lib/jline-*.jar
    "$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.unsupported,java.naming,jdk.management,jdk.httpserver,jdk.net,jdk.compiler,jdk.jfr \
        --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$work/jre"
    # ct.sym serves only javac's --release, which nothing in the bench runs.
    $bench_only && rm -f "$work/jre/lib/ct.sym"
    tar -C "$work" -czf "$dest/payload.tar.gz" jre lib testlib librocksdbjni-linux64.so
    cp "$here/device-test.sh" "$dest/device-test.sh"
    cp "$here/device-bench.sh" "$dest/device-bench.sh"
    cp "$root/gpu/src/test/python/ipc_exporter.py" "$dest/ipc_exporter.py"
    # A self-contained fio for device-bench.sh, where one is given (see there); else none is carried.
    rm -f "$dest/fio"
    if [[ -n "${SPILLWAY_FIO:-}" ]]; then
        cp "$SPILLWAY_FIO" "$dest/fio"
    fi
    du -sh "$dest"
    ;;
--run)
    dir="$(cd "$2" && pwd)"
    out="${OUT:-/tmp/spillway-gpu-out}"
    mkdir -p "$out"
    run="/tmp/spillway-gpu-run"
    rm -rf "$run" && mkdir -p "$run"
    tar -C "$run" -xzf "$dir/payload.tar.gz"
    nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,pcie.link.width.current --format=csv \
        | tee "$out/gpu.txt" || true
    ls -l /dev/nvidia-fs* 2>&1 | tee -a "$out/gpu.txt" || true
    df -h /tmp | tee -a "$out/gpu.txt"
    # cuFile's own log goes to $OUT too (it writes cufile.log into its working directory).
    cd "$out"
    set -o pipefail
    "$run/jre/bin/java" --enable-native-access=ALL-UNNAMED -Xmx8g \
        -Dorg.slf4j.simpleLogger.showDateTime=true -Djava.library.path="$run" \
        -cp "$run/lib/*" io.spillway.cli.SpillwayCli gpu-check /tmp/spillway-gpu-store --blocks "${BLOCKS:-2048}" \
        --ipc-exporter "$dir/ipc_exporter.py" 2>&1 | tee "$out/check.log"
    echo "== JUnit tests of the gpu module, on this GPU"
    "$run/jre/bin/java" --enable-native-access=ALL-UNNAMED -Xmx4g -Djava.library.path="$run" \
        -cp "$run/lib/*:$run/testlib/*" io.spillway.gpu.GpuTestMain 2>&1 | tee "$out/junit.log" | grep -v ' INFO '
    ;;
*)
    echo "usage: $0 --ptx | --bundle DIR | --bench-bundle DIR | --run DIR" >&2
    exit 2
    ;;
esac
