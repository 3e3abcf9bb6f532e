// Runs an .onnx model in onnxruntime-node (native CPU runtime) and prints its
// outputs as JSON. Test-only: edgepipe's tests compare its ONNX export with
// our interpreter and nn::Model::Predict through it.
//
// Usage: node onnxruntime_run.js MODEL.onnx SPEC.json
//
// SPEC.json is litert_run.js's format (tests/support/tflite_runtimes.cc
// writes it): {"data": "inputs.bin", "runs": [{"inputs": [{"dtype":
// "float32", "shape": [1, 4], "offset": 0}]}]}; inputs are in the model's
// input order. One session (1 intra-op thread, default optimizations) serves
// every run.
//
// Output (stdout): {"runtime": "onnxruntime", "runs": [{"outputs": [{"name",
// "shape", "dtype", "values"}]}]}; non-finite floats are the strings "NaN",
// "Infinity", "-Infinity". Errors: a message on stderr and exit code 1.
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function fail(message) {
  process.stderr.write(`onnxruntime_run.js: ${message}\n`);
  process.exit(1);
}

function numbersToJson(values) {
  return Array.from(values, (v) => {
    if (Number.isFinite(v)) return v;
    if (Number.isNaN(v)) return 'NaN';
    return v > 0 ? 'Infinity' : '-Infinity';
  });
}

async function main() {
  const [modelPath, specPath] = process.argv.slice(2);
  if (!modelPath || !specPath) fail('usage: onnxruntime_run.js MODEL.onnx SPEC.json');
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const data = spec.data !== undefined ? fs.readFileSync(path.resolve(path.dirname(specPath), spec.data)) : null;
  let session;
  try {
    session = await ort.InferenceSession.create(modelPath, {intraOpNumThreads: 1, interOpNumThreads: 1});
  } catch (e) {
    fail(`${modelPath}: onnxruntime refused the model: ${e && e.message ? e.message : e}`);
  }
  const results = [];
  for (const [r, run] of spec.runs.entries()) {
    const inputs = run.inputs || [];
    if (inputs.length !== session.inputNames.length) {
      fail(`runs[${r}]: ${inputs.length} inputs, the model has ${session.inputNames.length}`);
    }
    const feeds = {};
    inputs.forEach((input, i) => {
      const where = `${specPath}: runs[${r}].inputs[${i}]`;
      if (input.dtype !== 'float32') fail(`${where}: dtype ${input.dtype}; only float32 here`);
      const count = input.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(count);
      if (input.values !== undefined) {
        values.set(input.values.map(Number));
      } else {
        const offset = input.offset || 0;
        if (data === null || offset + count * 4 > data.length) fail(`${where}: bytes past the end of the data file`);
        new Uint8Array(values.buffer).set(data.subarray(offset, offset + count * 4));
      }
      feeds[session.inputNames[i]] = new ort.Tensor('float32', values, input.shape);
    });
    const out = await session.run(feeds);
    results.push({
      outputs: session.outputNames.map((name) => ({
        name,
        shape: Array.from(out[name].dims),
        dtype: out[name].type,
        values: numbersToJson(out[name].data),
      })),
    });
  }
  process.stdout.write(JSON.stringify({runtime: 'onnxruntime', runs: results}) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
