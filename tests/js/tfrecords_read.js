// Reads a TFRecord file of tf.Examples with the npm package
// @roboflow/tfrecords (1.0.4) and prints what it saw as JSON:
//   {"count": N, "messages": [...], "records": [{"name": {"kind": "float_list",
//    "values": [...]}, ...}, ...]}
// Usage: node tfrecords_read.js <file>   (raw or gzip; gunzipped here
// because the package only reads in-memory, uncompressed buffers).
//
// Quirk: on a CRC mismatch the package console.logs and stops instead of
// throwing, so its log lines are captured into "messages" (keeping stdout
// pure JSON) and callers must check "count".
'use strict';

const fs = require('fs');
const zlib = require('zlib');

const captured = [];
console.log = (...args) => captured.push(args.join(' '));

const {TFRecordsReader} = require('@roboflow/tfrecords/src/tensorFlowReader');

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node tfrecords_read.js <file>\n');
  process.exit(2);
}
let bytes = fs.readFileSync(file);
if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);

const reader = new TFRecordsReader(bytes);
const records = reader.imageMessages.map((message) => {
  const out = {};
  message.getContext().getFeatureMap().forEach((feature, name) => {
    if (feature.hasFloatList()) {
      out[name] = {kind: 'float_list', values: feature.getFloatList().getValueList()};
    } else if (feature.hasInt64List()) {
      out[name] = {kind: 'int64_list', values: feature.getInt64List().getValueList()};
    } else if (feature.hasBytesList()) {
      out[name] = {kind: 'bytes_list', values: feature.getBytesList().getValueList_asB64()};
    } else {
      out[name] = {kind: 'none', values: []};
    }
  });
  return out;
});
process.stdout.write(JSON.stringify({count: reader.length, messages: captured, records}) + '\n');
