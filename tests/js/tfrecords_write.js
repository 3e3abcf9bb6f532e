// Writes a gzip TFRecord file of tf.Examples with the npm package
// @roboflow/tfrecords (1.0.4), for our reader to read back.
// Usage: node tfrecords_write.js <file.gz> <count>
//
// Record i holds:
//   image_floats: 784 floats, value k = ((i * 784 + k) % 256) / 255 - 0.25
//   image_class:  int64 [i % 10]
//   name:         bytes ["digit-<i>"]
// The package builds uncompressed buffers only; the gzip is Node's zlib.
'use strict';

const fs = require('fs');
const zlib = require('zlib');
const {TFRecordsBuilder, FeatureType} = require('@roboflow/tfrecords/src/tensorFlowBuilder');

const [file, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!file || !Number.isInteger(count) || count < 0) {
  process.stderr.write('usage: node tfrecords_write.js <file.gz> <count>\n');
  process.exit(2);
}

const records = [];
for (let i = 0; i < count; ++i) {
  const builder = new TFRecordsBuilder();
  const floats = [];
  for (let k = 0; k < 784; ++k) floats.push(((i * 784 + k) % 256) / 255 - 0.25);
  builder.addArrayFeature('image_floats', FeatureType.Float, floats);
  builder.addFeature('image_class', FeatureType.Int64, i % 10);
  builder.addFeature('name', FeatureType.String, `digit-${i}`);
  records.push(builder.build());
}
fs.writeFileSync(file, zlib.gzipSync(TFRecordsBuilder.buildTFRecords(records)));
