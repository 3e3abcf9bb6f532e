#!/usr/bin/env bash
# ctest penguin_pipeline_user: TFX's penguin pipeline built and run as a new
# user does (README "Your own pipeline"), with the must-shows as checks.
#
#   run_penguin_test.sh SOURCE_DIR BUILD_DIR WORK_DIR CXX_COMPILER [COMPILER_LAUNCHER]
#
#  1. `cmake --install BUILD_DIR --prefix WORK_DIR/prefix` (what
#     scripts/install.sh does after building);
#  2. the data: SOURCE_DIR/data/penguin/penguins.csv (scripts/prepare_data.sh,
#     which scripts/test.sh runs, made it), else examples/penguin/prepare_data.sh
#     into WORK_DIR (apt-get download);
#  3. copies examples/penguin to WORK_DIR/penguin (the test edits it later),
#     configures it against the prefix and builds it;
#  4. runs it with the installed `edgepipe run ... --json`: 11 nodes executed
#     and the 2 Resolvers resolved nothing (the change thresholds are
#     rubber-stamped); both models' accuracy >= 0.9 on the eval split, both
#     blessed and pushed;
#  5. the pushed .tflite classifies the raw eval examples in LiteRT.js with the
#     accuracy the lite Evaluator reported (within 0.001), on as many examples;
#  6. an unchanged rerun evaluates again, now against the models run 1
#     blessed (TFX's change threshold; they pass), and the one after it
#     executes nothing;
#  7. edits the module file's source (penguin_utils.cc) and rebuilds: Transform,
#     both Trainers, Evaluators and Pushers run again, the four data nodes
#     upstream stay cached; the next rerun evaluates against the new blessed
#     models, and the one after it executes nothing.
# WORK_DIR is emptied first and removed on success; kept on failure.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$3
cxx=$4
launcher=${5:-}
prefix=$work/prefix

step() { echo "=== $* ($SECONDS s)"; }
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$work"
mkdir -p "$work"

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
edgepipe=$prefix/bin/edgepipe

step "data"
data=$src/data/penguin
if [ ! -f "$data/penguins.csv" ]; then
  data=$work/data
  "$src/examples/penguin/prepare_data.sh" "$data" "$work/cache"
fi
rows=$(($(wc -l <"$data/penguins.csv") - 1))
[ "$rows" = 344 ] || fail "$data/penguins.csv: $rows rows, expected 344"

step "configure + build examples/penguin against the prefix"
cp -r "$src/examples/penguin" "$work/penguin"
launcher_args=()
if [ -n "$launcher" ]; then launcher_args=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"); fi
cmake -S "$work/penguin" -B "$work/penguin/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" "${launcher_args[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
grep -q "^edgepipe_DIR:PATH=$prefix/lib/cmake/edgepipe$" "$work/penguin/build/CMakeCache.txt" ||
  fail "edgepipe not found in $prefix"
cmake --build "$work/penguin/build" -j2 -- -s >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
if grep -q "warning:" "$work/build.log"; then cat "$work/build.log"; fail "warnings"; fi

pipeline=$work/penguin/build/libpenguin_pipeline.so
run() {  # run NAME: the pipeline with --json into $work/NAME.json, log in NAME.log
  "$edgepipe" run "$pipeline" --data "$data" --pipeline-root "$work/out/pipelines" \
    --metadata "$work/out/metadata.sqlite" --serving-dir "$work/out/serving" --json \
    >"$work/$1.json" 2>"$work/$1.log" || { cat "$work/$1.log"; fail "edgepipe run ($1)"; }
}
# outcomes NAME: "node=outcome" per line, in pipeline order.
outcomes() {
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
           for (const n of r.nodes) console.log(`${n.id}=${n.outcome}`);' "$work/$1.json"
}
expect_outcomes() {  # expect_outcomes NAME EXPECTED_LINES
  local got
  got=$(outcomes "$1")
  [ "$got" = "$2" ] || { echo "--- expected"; echo "$2"; echo "--- got"; echo "$got"; fail "$1: outcomes"; }
}
# expect_run NAME UPSTREAM TRAINING EVALUATION PUSH: the outcome of the data
# nodes, of Transform and the Trainers, of the Evaluators and of the Pushers
# (the two Resolvers resolve on every run).
expect_run() {
  local lines="" n v
  for n in CsvExampleGen StatisticsGen SchemaGen ExampleValidator; do lines+="$n=$2"$'\n'; done
  lines+="Transform=$3"$'\n'
  for v in penguin penguin_lite; do
    lines+="Trainer.$v=$3"$'\n'"latest_blessed_model_resolver.$v=resolved"$'\n'
    lines+="Evaluator.$v=$4"$'\n'"Pusher.$v=$5"$'\n'
  done
  expect_outcomes "$1" "${lines%$'\n'}"
}
# expect_baseline NAME yes|no: whether each Evaluator compared with a baseline model.
expect_baseline() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const m of r.models) {
      const has = m.baseline_model_id > 0;
      if (has !== (process.argv[2] === "yes")) {
        throw new Error(`${m.evaluator}: baseline_model_id ${m.baseline_model_id}`);
      }
      if (!m.blessed) throw new Error(`${m.evaluator}: not blessed`);
    }' "$work/$1.json" "$2" || fail "$1: baseline"
}

step "first run"
run first
expect_run first executed executed executed executed
expect_baseline first no  # nothing blessed yet: the change threshold is rubber-stamped
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (r.models.length !== 2) throw new Error(`${r.models.length} models`);
  for (const m of r.models) {
    const acc = m.metrics.sparse_categorical_accuracy;
    console.log(`${m.evaluator}: accuracy ${acc.toFixed(4)} on ${m.metrics.example_count} ` +
                `examples (${m.examples_skipped} left out), ` +
                `${m.blessed ? "BLESSED" : "NOT_BLESSED"}, pushed to ${m.pushed_destination}`);
    if (!(acc >= 0.9)) throw new Error(`${m.evaluator}: accuracy ${acc} < 0.9`);
    if (!m.blessed) throw new Error(`${m.evaluator}: not blessed`);
    if (!m.pushed_destination) throw new Error(`${m.evaluator}: not pushed`);
  }' "$work/first.json" || fail "first run: models"

step "unchanged rerun: the Evaluators judge against the models run 1 blessed"
run second
expect_run second cached cached executed executed
expect_baseline second yes
# What a user sees (a third, cached run).
"$edgepipe" run "$pipeline" --data "$data" --pipeline-root "$work/out/pipelines" \
  --metadata "$work/out/metadata.sqlite" --serving-dir "$work/out/serving" 2>/dev/null |
  sed -n '1,/^data:/p'

step "the pushed .tflite in LiteRT.js on the raw eval split"
pushed=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(r.models.find((m) => m.evaluator === "Evaluator.penguin_lite").pushed_destination)' \
  "$work/first.json")
case "$pushed" in /*) ;; *) pushed=$PWD/$pushed ;; esac
[ -f "$pushed/tflite" ] || fail "$pushed/tflite: not pushed"
eval_split=$(ls "$work"/out/pipelines/penguin_local/CsvExampleGen/examples/*/Split-eval/*.gz)
(cd "$src" && node tests/js/penguin_litert_eval.js "$pushed/tflite" "$eval_split") \
  >"$work/litert.json" 2>"$work/litert.log" || { cat "$work/litert.log"; fail "LiteRT.js"; }
node -e '
  const fs = require("fs");
  const js = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const r = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const m = r.models.find((m) => m.evaluator === "Evaluator.penguin_lite");
  const ours = m.metrics.sparse_categorical_accuracy;
  console.log(`LiteRT.js: ${js.correct}/${js.evaluated} = ${js.accuracy.toFixed(4)} ` +
              `(${js.left_out} left out); edgepipe reported ${ours.toFixed(4)} on ` +
              `${m.metrics.example_count} (${m.examples_skipped} left out)`);
  if (js.evaluated !== m.metrics.example_count) throw new Error("example counts differ");
  if (js.left_out !== m.examples_skipped) throw new Error("left-out counts differ");
  if (Math.abs(js.accuracy - ours) > 0.001) throw new Error("accuracies differ by more than 0.001");
' "$work/litert.json" "$work/first.json" || fail "LiteRT.js accuracy"

step "unchanged rerun again: nothing executes"
run second_again
expect_run second_again cached cached cached cached

step "edit the module file's source, rebuild, rerun"
sed -i 's/constexpr int64_t kNumClasses = 3;/constexpr int64_t kNumClasses = 3;  \/\/ Adelie, Chinstrap, Gentoo\nconstexpr char kEdited[] = "edited";/; s/a measurement is missing)\\n"/a measurement is missing; %s)\\n"/; s/static_cast<long long>(split.table.num_skipped));/static_cast<long long>(split.table.num_skipped), kEdited);/' \
  "$work/penguin/penguin_utils.cc"
grep -q kEdited "$work/penguin/penguin_utils.cc" || fail "the edit did not apply"
cmake --build "$work/penguin/build" -j2 -- -s >"$work/rebuild.log" 2>&1 || { cat "$work/rebuild.log"; exit 1; }
run third
expect_run third cached executed executed executed
expect_baseline third yes
grep -q "left out (a measurement is missing; edited)" "$work/third.log" ||
  fail "the rebuilt module's run_fn did not run"

step "unchanged reruns after the edit: once against the new blessed model, then nothing"
run fourth
expect_run fourth cached cached executed executed
run fifth
expect_run fifth cached cached cached cached

step "ok"
rm -rf "$work"
