// What every runtime's latency script in tests/js shares (litert_bench.js,
// onnxruntime_bench.js): the command line, the deterministic input fill, the
// timed loop and its summary, so two runtimes are timed the same way.
// Bench-only.
'use strict';

// A fail(message) that prints `script: message` on stderr and exits 1.
function makeFail(script) {
  return (message) => {
    process.stderr.write(`${script}: ${message}\n`);
    process.exit(1);
  };
}

// MODEL [--runs N] [--warmup N] [--threads N]; runs and threads >= 1,
// warmup >= 0. Unknown flags and a missing model are errors.
function parseBenchArgs(argv, usage, fail) {
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
    const least = flag === 'warmup' ? 0 : 1;
    if (!Number.isInteger(value) || value < least) {
      fail(`${a} needs an integer >= ${least}, got '${argv[i]}'`);
    }
    args[flag] = value;
  }
  if (args.model === null) fail(`usage: ${usage}`);
  return args;
}

// Fills `typed` from a 32-bit LCG seeded with `seed`: floats in [-1, 1), or
// integers in [0, 16) for integer arrays, the same values in every runtime.
function fillDeterministic(typed, seed) {
  const isFloat = typed instanceof Float32Array || typed instanceof Float64Array;
  let state = seed >>> 0;
  for (let i = 0; i < typed.length; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const u = state / 4294967296;  // [0, 1)
    typed[i] = isFloat ? 2 * u - 1 : Math.floor(u * 16);
  }
  return typed;
}

function summarize(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * n) - 1)];  // nearest rank
  const mean = latencies.reduce((a, b) => a + b, 0) / n;
  return {median_us: median, mean_us: mean, p90_us: p90, min_us: sorted[0], max_us: sorted[n - 1]};
}

// `warmup` untimed then `runs` timed calls of `await runOnce()`, each timed
// with process.hrtime around the call alone; `afterRun(result)` (optional,
// untimed) frees what a run returned. Returns summarize() of the timed runs.
async function timeRuns(args, runOnce, afterRun = () => {}) {
  const latencies = [];
  for (let r = 0; r < args.warmup + args.runs; ++r) {
    const start = process.hrtime.bigint();
    const result = await runOnce();
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    afterRun(result);
    if (r >= args.warmup) latencies.push(elapsed);
  }
  return summarize(latencies);
}

module.exports = {makeFail, parseBenchArgs, fillDeterministic, timeRuns};
