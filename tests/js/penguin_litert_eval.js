// Classifies the penguin pipeline's raw eval examples with its pushed .tflite
// in LiteRT.js (@litertjs/core, WASM CPU) and prints the accuracy as JSON.
// Test-only (tests/penguin/run_penguin_test.sh).
//
// Usage: node penguin_litert_eval.js MODEL.tflite EVAL.tfrecord.gz
//
// The examples are CsvExampleGen's (gzip TFRecord of tf.Example, read with
// @roboflow/tfrecords); each model input is fed from the feature of its name
// (the signature's input names are the raw feature names), one example per
// run, shape [1, 1]. An example lacking a value of an input (an empty CSV
// cell) is left out and counted, as the pipeline's Evaluators do. The label
// is `species`. Output (stdout):
//   {"runtime": "litert.js", "inputs": [...], "evaluated": N, "left_out": K,
//    "correct": C, "accuracy": C / N}
'use strict';

const fs = require('fs');
const zlib = require('zlib');
const {loadLiteRt, compileModel} = require('./litert_loader');

function fail(message) {
  process.stderr.write(`penguin_litert_eval.js: ${message}\n`);
  process.exit(1);
}

// [{name: {kind, values}}] of every record; the package logs instead of
// throwing on a bad CRC, so its log is captured and the count checked.
function readExamples(file) {
  const captured = [];
  const log = console.log;
  console.log = (...args) => captured.push(args.join(' '));
  const {TFRecordsReader} = require('@roboflow/tfrecords/src/tensorFlowReader');
  let bytes = fs.readFileSync(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  const reader = new TFRecordsReader(bytes);
  console.log = log;
  if (captured.length > 0) fail(`${file}: ${captured.join('; ')}`);
  return reader.imageMessages.map((message) => {
    const out = {};
    message.getContext().getFeatureMap().forEach((feature, name) => {
      if (feature.hasFloatList()) out[name] = feature.getFloatList().getValueList();
      else if (feature.hasInt64List()) out[name] = feature.getInt64List().getValueList().map(Number);
      else out[name] = [];
    });
    return out;
  });
}

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

async function main() {
  const [modelPath, examplesPath] = process.argv.slice(2);
  if (!modelPath || !examplesPath) fail('usage: node penguin_litert_eval.js MODEL.tflite EVAL.tfrecord.gz');
  const litert = await loadLiteRt();
  const model = await compileModel(litert, new Uint8Array(fs.readFileSync(modelPath)));
  const inputs = model.getInputDetails().map((d) => d.name);
  if (inputs.length !== 4) fail(`${modelPath}: expected 4 inputs, got ${inputs.length} (${inputs})`);
  const examples = readExamples(examplesPath);
  let evaluated = 0;
  let leftOut = 0;
  let correct = 0;
  for (const [i, example] of examples.entries()) {
    if (inputs.some((name) => !example[name] || example[name].length === 0)) {
      ++leftOut;
      continue;
    }
    const label = example.species;
    if (!label || label.length !== 1) fail(`${examplesPath}: record ${i}: no species label`);
    const tensors = inputs.map(
        (name) => new litert.Tensor(Float32Array.from([example[name][0]]), [1, 1]));
    const outputs = await model.run(tensors);
    const logits = outputs[0].toTypedArray();
    if (logits.length !== 3) fail(`record ${i}: expected 3 logits, got ${logits.length}`);
    if (argmax(logits) === label[0]) ++correct;
    ++evaluated;
    for (const t of tensors) t.delete();
    for (const t of outputs) t.delete();
  }
  model.delete();
  const result = {
    runtime: 'litert.js',
    inputs,
    evaluated,
    left_out: leftOut,
    correct,
    accuracy: evaluated > 0 ? correct / evaluated : 0,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
