// Times onnxruntime-node (native CPU execution provider) `session.run` on an
// .onnx file, for bench/onnx_vs_litert.sh (edgepipe lite bench and LiteRT.js
// on the same model converted to .tflite). Bench-only.
//
// Usage: node onnxruntime_bench.js MODEL.onnx [--runs N] [--warmup N] [--threads N]
//
// Inputs: batch 1 (the symbolic "batch" dimension), the other dims as
// declared, filled once with bench_common.js's fixed pseudo-random values in
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
const {makeFail, parseBenchArgs, fillDeterministic, timeRuns} = require('./bench_common');

const fail = makeFail('onnxruntime_bench.js');

async function main() {
  const args = parseBenchArgs(process.argv.slice(2),
                              'onnxruntime_bench.js MODEL.onnx [--runs N] [--warmup N] [--threads N]', fail);
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
    feeds[meta.name] = new ort.Tensor('float32', fillDeterministic(new Float32Array(shape.reduce((a, b) => a * b, 1)), 12345 + i), shape);
  });
  const stats = await timeRuns(args, () => session.run(feeds));
  await session.release();
  process.stdout.write(JSON.stringify({
    runtime: 'onnxruntime',
    version: ort.env.versions.node,
    model: args.model,
    runs: args.runs,
    warmup_runs: args.warmup,
    threads: args.threads,
    ...stats,
  }) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
