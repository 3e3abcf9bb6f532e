// Times LiteRT.js (@litertjs/core, WASM CPU via XNNPACK) `model.run` on a
// .tflite file, for bench/lite_vs_litert.sh (edgepipe lite bench on the same
// file). Test/bench-only.
//
// Usage: node litert_bench.js MODEL.tflite [--runs N] [--warmup N] [--threads N]
//
// Inputs are the model's declared shapes (LiteRT.js compiles them fixed, so
// batch 1 for our converter's models), filled once with fixed pseudo-random
// values in [-1, 1) (float32) or small integers. `warmup` untimed runs, then
// each of `runs` runs is timed with process.hrtime around `await model.run()`:
// that includes LiteRT.js's copies of the inputs into and outputs out of the
// WASM heap (a few KB here), the way a caller of LiteRT.js pays them. Output
// tensors are freed outside the timed region.
//
// Prints one JSON object: {"runtime": "litert.js", "model", "runs",
// "warmup_runs", "threads", "glue" (the WASM build LiteRT.js picked),
// "median_us", "mean_us", "p90_us", "min_us", "max_us"}.
// Errors: a message on stderr and exit code 1.
'use strict';

const fs = require('fs');
const path = require('path');
const {loadLiteRt, compileModel, loadedGlueFile} = require('./litert_loader');
const {makeFail, parseBenchArgs, fillDeterministic, timeRuns} = require('./bench_common');

const TYPED_ARRAYS = {float32: Float32Array, int32: Int32Array, uint8: Uint8Array};

const fail = makeFail('litert_bench.js');

function fillInput(detail, seed) {
  const ctor = TYPED_ARRAYS[detail.dtype];
  if (!ctor) fail(`input '${detail.name}': dtype ${detail.dtype} not supported by LiteRT.js`);
  const shape = Array.from(detail.shape);
  return {typed: fillDeterministic(new ctor(shape.reduce((a, b) => a * b, 1)), seed), shape};
}

async function main() {
  const args = parseBenchArgs(process.argv.slice(2),
                              'litert_bench.js MODEL.tflite [--runs N] [--warmup N] [--threads N]', fail);
  const litert = await loadLiteRt(args.threads > 1 ? {threads: true} : {});
  const modelBytes = new Uint8Array(fs.readFileSync(args.model));
  let model;
  try {
    model = await compileModel(litert, modelBytes, {numThreads: args.threads});
  } catch (e) {
    fail(`${args.model}: LiteRT.js refused the model: ${e && e.message ? e.message : e}`);
  }
  const inputs = model.getInputDetails().map((d, i) => fillInput(d, 12345 + i));
  const tensors = inputs.map(({typed, shape}) => new litert.Tensor(typed, shape));

  const stats = await timeRuns(args, () => model.run(tensors), (outputs) => {
    for (const t of outputs) t.delete();
  });
  for (const t of tensors) t.delete();
  model.delete();
  const glue = loadedGlueFile();
  process.stdout.write(JSON.stringify({
    runtime: 'litert.js',
    model: args.model,
    runs: args.runs,
    warmup_runs: args.warmup,
    threads: args.threads,
    glue: glue ? path.basename(glue) : null,
    ...stats,
  }) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
