#!/usr/bin/env bash
# ctest install_find_package: the installed package, used from outside.
#
#   run_install_test.sh BUILD_DIR WORK_DIR CXX_COMPILER [COMPILER_LAUNCHER]
#
# 1. `cmake --install BUILD_DIR --prefix WORK_DIR/prefix` (copies what the
#    build made; builds nothing, so run it after the build, as ctest is);
# 2. configures tests/install/ (its own CMake project: find_package(edgepipe))
#    with -DCMAKE_PREFIX_PATH=WORK_DIR/prefix and builds its one file;
# 3. runs it (a tiny ImportExampleGen -> StatisticsGen -> SchemaGen pipeline,
#    executed then cached) and the installed CLI on its statistics;
# 4. checks that no test, bench or harness binary was installed.
# WORK_DIR is emptied first and removed on success (the prefix holds the
# static libraries); on failure it is kept for a look.
set -euo pipefail
build=$(cd "$1" && pwd)
work=$2
cxx=$3
launcher=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix

step() { echo "=== $* ($SECONDS s)"; }

rm -rf "$work"
mkdir -p "$work"

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
echo "installed $(find "$prefix" -type f | wc -l) files, $(du -sh "$prefix" | cut -f1)"
for f in bin/edgepipe lib/cmake/edgepipe/edgepipeConfig.cmake \
         lib/cmake/edgepipe/edgepipeConfigVersion.cmake lib/cmake/edgepipe/edgepipeTargets.cmake \
         include/edgepipe/edgepipe.h include/edgepipe/src/pipeline/pipeline.h \
         include/edgepipe/src/io/example.pb.h include/edgepipe/src/lite/schema/schema_generated.h; do
  [ -f "$prefix/$f" ] || { echo "FAIL: $prefix/$f not installed"; exit 1; }
done
unexpected=$(cd "$prefix" && find . \( -name '*_test' -o -name '*_bench' -o -name '*_fuzzer' \
  -o -name 'armnn_run' -o -name 'mnist_pipeline' -o -name '*tflite_runtimes*' \
  -o -path '*/tests/*' -o -name '*_test_util.h' \) -print)
if [ -n "$unexpected" ]; then
  echo "FAIL: installed test/bench/harness files:"; echo "$unexpected"; exit 1
fi
ls "$prefix/bin"

step "configure tests/install against the prefix"
launcher_args=()
if [ -n "$launcher" ]; then launcher_args=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"); fi
# No build type: no optimisation, the compile is what costs here.
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" "${launcher_args[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
grep -q "^edgepipe_DIR:PATH=$prefix/lib/cmake/edgepipe$" "$work/build/CMakeCache.txt" ||
  { echo "FAIL: edgepipe not found in $prefix"; grep edgepipe_DIR "$work/build/CMakeCache.txt"; exit 1; }

step "build tests/install (one file)"
cmake --build "$work/build" -j2

step "run the tiny pipeline"
"$work/build/tiny_pipeline" "$work/run" 2>"$work/run.log" | tee "$work/run.out" ||
  { cat "$work/run.log"; exit 1; }
grep -q '^tiny pipeline OK$' "$work/run.out"

step "installed CLI reads its statistics"
stats=$(sed -n 's/^statistics //p' "$work/run.out")
"$prefix/bin/edgepipe" stats show "$stats" >"$work/stats.out"
grep -q 'color' "$work/stats.out" || { cat "$work/stats.out"; exit 1; }
head -5 "$work/stats.out"

step "ok"
rm -rf "$work"
