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

const TYPED_ARRAYS = {float32: Float32Array, int32: Int32Array, uint8: Uint8Array};

function fail(message) {
  process.stderr.write(`litert_bench.js: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = {model: null, runs: 100, warmup: 10, threads: 1};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const flag = a.startsWith('--') ? a.slice(2) : null;
    if (flag === null) {
      if (args.model !== null) fail(`unexpected argument '${a}'`);
      args.model = a;
      continue;
    }
    if (!(flag in args) || flag === 'model') fail(`unknown flag '${a}'`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < (flag === 'warmup' ? 0 : 1)) {
      fail(`${a} needs an integer >= ${flag === 'warmup' ? 0 : 1}, got '${argv[i]}'`);
    }
    args[flag] = value;
  }
  if (args.model === null) {
    fail('usage: litert_bench.js MODEL.tflite [--runs N] [--warmup N] [--threads N]');
  }
  return args;
}

// Deterministic fill (a 32-bit LCG), so every run sees the same inputs.
function fillInput(detail, seed) {
  const ctor = TYPED_ARRAYS[detail.dtype];
  if (!ctor) fail(`input '${detail.name}': dtype ${detail.dtype} not supported by LiteRT.js`);
  const shape = Array.from(detail.shape);
  const count = shape.reduce((a, b) => a * b, 1);
  const typed = new ctor(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const u = state / 4294967296;  // [0, 1)
    typed[i] = detail.dtype === 'float32' ? 2 * u - 1 : Math.floor(u * 16);
  }
  return {typed, shape};
}

function summarize(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * n) - 1)];  // nearest rank
  const mean = latencies.reduce((a, b) => a + b, 0) / n;
  return {median_us: median, mean_us: mean, p90_us: p90, min_us: sorted[0], max_us: sorted[n - 1]};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
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

  const latencies = [];
  for (let r = 0; r < args.warmup + args.runs; ++r) {
    const start = process.hrtime.bigint();
    const outputs = await model.run(tensors);
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    for (const t of outputs) t.delete();
    if (r >= args.warmup) latencies.push(elapsed);
  }
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
    ...summarize(latencies),
  }) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
