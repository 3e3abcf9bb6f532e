// Times onnxruntime-node (native CPU execution provider) `session.run` on an
// .onnx file, for bench/onnx_vs_litert.sh (edgepipe lite bench and LiteRT.js
// on the same model converted to .tflite). Bench-only.
//
// Usage: node onnxruntime_bench.js MODEL.onnx [--runs N] [--warmup N] [--threads N]
//
// Inputs: batch 1 (the symbolic "batch" dimension), the other dims as
// declared, filled once with litert_bench.js's fixed pseudo-random values in
// [-1, 1). The session uses `threads` intra-op threads, 1 inter-op thread,
// all graph optimizations (onnxruntime's default). `warmup` untimed runs,
// then each of `runs` runs is timed with process.hrtime around
// `await session.run(feeds)`: that includes the N-API call and the output
// tensor's allocation, as a Node caller pays them (LiteRT.js's figure
// likewise includes its JS/WASM copies).
//
// onnxruntime's own profiler ("model_run" events) was tried for a native-only
// figure and dropped: at these sizes its per-node events cost more than the
// call overhead it would remove. A tiny model's time (penguin) shows that
// overhead instead.
//
// Prints one JSON object: {"runtime": "onnxruntime", "version", "model",
// "runs", "warmup_runs", "threads", "median_us", "mean_us", "p90_us",
// "min_us", "max_us"}. Errors: a message on stderr and exit code 1.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

function fail(message) {
  process.stderr.write(`onnxruntime_bench.js: ${message}\n`);
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
  if (args.model === null) fail('usage: onnxruntime_bench.js MODEL.onnx [--runs N] [--warmup N] [--threads N]');
  return args;
}

// litert_bench.js's fill: a 32-bit LCG mapped to [-1, 1).
function fill(count, seed) {
  const typed = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    typed[i] = 2 * (state / 4294967296) - 1;
  }
  return typed;
}

function summarize(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * n) - 1)];
  const mean = latencies.reduce((a, b) => a + b, 0) / n;
  return {median_us: median, mean_us: mean, p90_us: p90, min_us: sorted[0], max_us: sorted[n - 1]};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(args.model)) fail(`${args.model}: no such file`);
  let session;
  try {
    session = await ort.InferenceSession.create(args.model, {
      intraOpNumThreads: args.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    fail(`${args.model}: onnxruntime refused the model: ${e && e.message ? e.message : e}`);
  }
  // The declared input shapes (inputMetadata), the symbolic batch set to 1.
  const feeds = {};
  session.inputMetadata.forEach((meta, i) => {
    if (meta.type !== 'float32') fail(`input '${meta.name}': type ${meta.type}; only float32 here`);
    const shape = meta.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[meta.name] = new ort.Tensor('float32', fill(shape.reduce((a, b) => a * b, 1), 12345 + i), shape);
  });
  const latencies = [];
  for (let r = 0; r < args.warmup + args.runs; ++r) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    if (r >= args.warmup) latencies.push(elapsed);
  }
  await session.release();
  process.stdout.write(JSON.stringify({
    runtime: 'onnxruntime',
    version: ort.env.versions.node,
    model: args.model,
    runs: args.runs,
    warmup_runs: args.warmup,
    threads: args.threads,
    ...summarize(latencies),
  }) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
