// Runs a .tflite model in the TFLite WASM runner bundled with
// @tensorflow/tfjs-tflite and prints its outputs as JSON. Test-only:
// edgepipe's tests compare our interpreter with it.
//
// Usage, spec format and output are the same as litert_run.js:
//   node tfjs_tflite_run.js MODEL.tflite SPEC.json
//   node tfjs_tflite_run.js MODEL.tflite IN0.bin [IN1.bin ...]
// with "runtime": "tfjs-tflite". Unlike LiteRT.js this runner takes int8 (and
// int16, uint32, float64, bool) tensors too. It cannot resize inputs: every
// input must have the model's declared shape. Errors: a message on stderr and
// exit code 1.
//
// Why not the package's loadTFLiteModel(): it pulls in @tensorflow/tfjs-core
// and fetch()es the WASM. We call the bundled emscripten factory directly with
// the .wasm bytes and drive its TFLiteWebModelRunner (the class the package
// wraps): model bytes are copied into the WASM heap and must stay there for
// the runner's lifetime.
'use strict';

const fs = require('fs');
const path = require('path');

const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

function fail(message) {
  process.stderr.write(`tfjs_tflite_run.js: ${message}\n`);
  process.exit(1);
}

// The emscripten glue is one minified line: Node's default report of an
// uncaught error would print all of it. Report the message only.
process.on('uncaughtException', (e) => fail(e && e.message ? e.message : String(e)));
process.on('unhandledRejection', (e) => fail(e && e.message ? e.message : String(e)));

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

function parseShape(text) {
  return text === '' ? [] : text.split(',').map(Number);
}

// The runner's tensor-info vectors are embind std::vectors.
function vectorToArray(v) {
  const out = [];
  for (let i = 0; i < v.size(); i++) out.push(v.get(i));
  v.delete();
  return out;
}

// Returns [[{dtype, shape, bytes: Uint8Array}]]: one list of inputs per run.
function readRuns(args, modelInputs) {
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
      if (!ctor) fail(`${where}: dtype ${input.dtype} not supported`);
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
  if (args.length !== modelInputs.length) {
    fail(`model has ${modelInputs.length} inputs but ${args.length} .bin files were given`);
  }
  return [args.map((file, i) => {
    const info = modelInputs[i];
    const ctor = TYPED_ARRAYS[info.dataType];
    if (!ctor) fail(`model input ${i} has unsupported type ${info.dataType}`);
    const shape = parseShape(info.shape);
    const bytes = fs.readFileSync(file);
    const expected = numElements(shape) * ctor.BYTES_PER_ELEMENT;
    if (bytes.length !== expected) {
      fail(`${file}: ${bytes.length} bytes, expected ${expected} for ${info.dataType} [${shape}]`);
    }
    return {dtype: info.dataType, shape, bytes: new Uint8Array(bytes)};
  })];
}

async function main() {
  const [modelPath, ...inputArgs] = process.argv.slice(2);
  if (!modelPath || inputArgs.length === 0) {
    fail('usage: tfjs_tflite_run.js MODEL.tflite SPEC.json | IN0.bin [IN1.bin ...]');
  }
  const packageDir = path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json'));
  const wasmDir = path.join(packageDir, 'wasm');
  const factory = require(path.join(wasmDir, 'tflite_web_api_cc_simd.js'));
  const wasm = await factory({wasmBinary: fs.readFileSync(path.join(wasmDir, 'tflite_web_api_cc_simd.wasm'))});

  const modelBytes = fs.readFileSync(modelPath);
  const modelPtr = wasm._malloc(modelBytes.length);
  wasm.HEAPU8.set(modelBytes, modelPtr);
  const created = wasm.TFLiteWebModelRunner.CreateFromBufferAndOptions(
      modelPtr, modelBytes.length, {numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024});
  if (!created.ok()) {
    fail(`${modelPath}: tfjs-tflite refused the model: ${created.errorMessage()}`);
  }
  const runner = created.value();
  const modelInputs = vectorToArray(runner.GetInputs());
  const runs = readRuns(inputArgs, modelInputs);

  const results = [];
  for (let r = 0; r < runs.length; r++) {
    const inputs = runs[r];
    if (inputs.length !== modelInputs.length) {
      fail(`runs[${r}]: ${inputs.length} inputs, the model has ${modelInputs.length}`);
    }
    // Fetch the tensor views again for every run: WASM memory growth detaches
    // earlier views.
    const infos = vectorToArray(runner.GetInputs());
    inputs.forEach(({dtype, shape, bytes}, i) => {
      const info = infos[i];
      const declared = parseShape(info.shape);
      if (dtype !== info.dataType) {
        fail(`runs[${r}].inputs[${i}]: dtype ${dtype}, the model's input "${info.name}" is ${info.dataType}`);
      }
      if (shape.length !== declared.length || shape.some((d, k) => d !== declared[k])) {
        fail(`runs[${r}].inputs[${i}]: shape [${shape}], the model's input "${info.name}" is [${declared}] (this runner cannot resize)`);
      }
      const target = info.data();
      new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes);
    });
    if (!runner.Infer()) fail(`runs[${r}]: Infer() failed`);
    const outputs = vectorToArray(runner.GetOutputs());
    results.push({
      outputs: outputs.map((info) => ({
        name: info.name,
        shape: parseShape(info.shape),
        dtype: info.dataType,
        values: numbersToJson(info.data()),
      })),
    });
  }
  process.stdout.write(JSON.stringify({runtime: 'tfjs-tflite', runs: results}) + '\n');
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
