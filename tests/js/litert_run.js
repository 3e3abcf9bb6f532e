// Runs a .tflite model in LiteRT.js (@litertjs/core, WASM CPU) and prints its
// outputs as JSON. Test-only: edgepipe's tests compare our interpreter with it.
//
// Usage:
//   node litert_run.js MODEL.tflite SPEC.json
//   node litert_run.js MODEL.tflite IN0.bin [IN1.bin ...]
//
// SPEC.json describes any number of runs (one process for a whole batch of
// examples):
//   {"data": "inputs.bin",                 // optional, relative to SPEC.json
//    "runs": [{"inputs": [{"dtype": "float32", "shape": [1, 4],
//                          "offset": 0}     // byte offset into "data", or
//                          /* "values": [..] inline numbers */]}]}
// A .bin argument is the raw little-endian bytes of one input of a single run;
// its dtype and shape are the model's declared ones.
//
// Output (stdout): {"runtime": "litert.js", "runs": [{"outputs": [{"name",
// "shape", "dtype", "values"}]}]}; non-finite floats are the strings "NaN",
// "Infinity", "-Infinity". Errors: a message on stderr and exit code 1.
// Loading LiteRT.js in Node: litert_loader.js.
'use strict';

const fs = require('fs');
const path = require('path');
const {loadLiteRt, compileModel} = require('./litert_loader');

const TYPED_ARRAYS = {
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
};

function fail(message) {
  process.stderr.write(`litert_run.js: ${message}\n`);
  process.exit(1);
}

function numbersToJson(values) {
  return Array.from(values, (v) => {
    if (Number.isFinite(v)) return v;
    if (Number.isNaN(v)) return 'NaN';
    return v > 0 ? 'Infinity' : '-Infinity';
  });
}

function numElements(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

// Returns [[{dtype, shape, bytes: Uint8Array}]]: one list of inputs per run.
function readRuns(args, inputDetails) {
  if (args.length === 1 && args[0].endsWith('.json')) {
    const specPath = args[0];
    const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
    let data = null;
    if (spec.data !== undefined) {
      data = fs.readFileSync(path.resolve(path.dirname(specPath), spec.data));
    }
    if (!Array.isArray(spec.runs)) fail(`${specPath}: "runs" must be an array`);
    return spec.runs.map((run, r) => (run.inputs || []).map((input, i) => {
      const where = `${specPath}: runs[${r}].inputs[${i}]`;
      const ctor = TYPED_ARRAYS[input.dtype];
      if (!ctor) fail(`${where}: dtype ${input.dtype} not supported by LiteRT.js (float32, int32, uint8)`);
      const count = numElements(input.shape);
      const byteLength = count * ctor.BYTES_PER_ELEMENT;
      let bytes;
      if (input.values !== undefined) {
        if (input.values.length !== count) fail(`${where}: ${input.values.length} values for shape [${input.shape}]`);
        bytes = new Uint8Array(ctor.from(input.values.map(Number)).buffer);
      } else {
        if (data === null) fail(`${where}: "offset" given but the spec has no "data" file`);
        const offset = input.offset || 0;
        if (offset + byteLength > data.length) {
          fail(`${where}: bytes [${offset}, ${offset + byteLength}) past the end of the data file (${data.length} bytes)`);
        }
        bytes = new Uint8Array(data.buffer, data.byteOffset + offset, byteLength);
      }
      return {dtype: input.dtype, shape: input.shape, bytes};
    }));
  }
  // Raw .bin inputs: one run, declared dtypes and shapes.
  if (args.length !== inputDetails.length) {
    fail(`model has ${inputDetails.length} inputs but ${args.length} .bin files were given`);
  }
  return [args.map((file, i) => {
    const detail = inputDetails[i];
    const ctor = TYPED_ARRAYS[detail.dtype];
    const shape = Array.from(detail.shape);
    const bytes = fs.readFileSync(file);
    const expected = numElements(shape) * ctor.BYTES_PER_ELEMENT;
    if (bytes.length !== expected) {
      fail(`${file}: ${bytes.length} bytes, expected ${expected} for ${detail.dtype} [${shape}]`);
    }
    return {dtype: detail.dtype, shape, bytes: new Uint8Array(bytes)};
  })];
}

async function main() {
  const [modelPath, ...inputArgs] = process.argv.slice(2);
  if (!modelPath || inputArgs.length === 0) {
    fail('usage: litert_run.js MODEL.tflite SPEC.json | IN0.bin [IN1.bin ...]');
  }
  const litert = await loadLiteRt();

  const modelBytes = new Uint8Array(fs.readFileSync(modelPath));
  let model;
  try {
    model = await compileModel(litert, modelBytes);
  } catch (e) {
    fail(`${modelPath}: LiteRT.js refused the model: ${e && e.message ? e.message : e}`);
  }
  const inputDetails = model.getInputDetails();
  const outputDetails = model.getOutputDetails();
  const runs = readRuns(inputArgs, inputDetails);

  const results = [];
  for (const inputs of runs) {
    const tensors = inputs.map(({dtype, shape, bytes}) => {
      const ctor = TYPED_ARRAYS[dtype];
      // Copy into an aligned buffer of exactly the tensor's size.
      const typed = new ctor(bytes.byteLength / ctor.BYTES_PER_ELEMENT);
      new Uint8Array(typed.buffer).set(bytes);
      return new litert.Tensor(typed, shape);
    });
    const outputs = await model.run(tensors);
    results.push({
      outputs: outputs.map((t, i) => {
        const record = {
          name: outputDetails[i] ? outputDetails[i].name : `output_${i}`,
          shape: Array.from(t.type.layout.dimensions),
          dtype: t.type.dtype,
          values: numbersToJson(t.toTypedArray()),
        };
        t.delete();
        return record;
      }),
    });
    for (const t of tensors) t.delete();
  }
  model.delete();
  process.stdout.write(JSON.stringify({runtime: 'litert.js', runs: results}) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
