// Loads an edgepipe TF.js layers model (model.json + weights.bin) in
// @tensorflow/tfjs (pure JS CPU backend) and prints its predictions.
//
//   node tfjs_predict.js MODEL_DIR INPUT.bin N FEATURES
//   node tfjs_predict.js MODEL_DIR --inputs A.bin[,B.bin...] N
//
// INPUT.bin holds N*FEATURES little-endian float32 values (row-major). With
// --inputs, file k holds input k of the model (in model.inputs order) as
// N x (its shape without the batch) float32 values, NHWC for images.
// Prints one JSON object on stdout:
//   {"input_shape": [...], "output_shape": [N, C], "values": [...], "layers": [...],
//    "userDefinedMetadata": {...}}
// Exits non-zero with a message on stderr if tfjs refuses the model.
'use strict';
const fs = require('fs');
const path = require('path');

// tfjs logs advice (e.g. about tfjs-node) with console.log: keep stdout for JSON.
const writeOut = (s) => process.stdout.write(s);
console.log = (...args) => console.error(...args);
const tf = require('@tensorflow/tfjs');

// A Node Buffer is a view into a larger pool: hand tfjs an exact ArrayBuffer.
function exactArrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
}

function fileHandler(dir) {
  return {
    load: async () => {
      const modelJSON = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = [];
        const parts = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
        }
        return [specs, exactArrayBuffer(Buffer.concat(parts))];
      });
    },
  };
}

async function main() {
  const [dir, inputPath, nArg, featuresArg] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(fileHandler(dir));
  let x;
  if (inputPath === '--inputs') {
    const paths = nArg.split(',');
    const count = Number(featuresArg);
    x = paths.map((p, k) => {
      const shape = [count, ...model.inputs[k].shape.slice(1)];
      return tf.tensor(new Float32Array(exactArrayBuffer(fs.readFileSync(p))), shape);
    });
    if (x.length === 1) x = x[0];
  } else {
    const n = Number(nArg);
    const features = Number(featuresArg);
    const raw = fs.readFileSync(inputPath);
    x = tf.tensor2d(new Float32Array(exactArrayBuffer(raw)), [n, features]);
  }
  const y = model.predict(x);
  writeOut(JSON.stringify({
    input_shape: model.inputs[0].shape,
    output_shape: y.shape,
    values: Array.from(await y.data()),
    layers: model.layers.map((l) => ({name: l.name, class_name: l.getClassName()})),
    userDefinedMetadata: model.getUserDefinedMetadata() || null,
  }) + '\n');
}

main().catch((e) => {
  console.error('tfjs_predict: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
