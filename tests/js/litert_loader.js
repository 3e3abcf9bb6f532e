// Loads LiteRT.js (@litertjs/core, WASM CPU) in Node and compiles .tflite
// files with it. Shared by litert_run.js (outputs) and litert_bench.js
// (latency). Test-only.
//
//   const {loadLiteRt, compileModel} = require('./litert_loader');
//   const litert = await loadLiteRt();
//   const bytes = new Uint8Array(fs.readFileSync('m.tflite'));
//   const model = await compileModel(litert, bytes);   // rejects on refusal
//   const outputs = await model.run([new litert.Tensor(typed, shape)]);
//
// Why the shim: loadLiteRt() loads the emscripten glue with importScripts(),
// which only browsers' workers have. In Node we evaluate the glue as CommonJS
// and hand its factory over through self.ModuleFactory, as a worker would.
'use strict';

const fs = require('fs');
const path = require('path');
const {pathToFileURL} = require('url');

let loadedGlue = null;

function installImportScriptsShim() {
  globalThis.self = globalThis;
  globalThis.importScripts = (file) => {
    loadedGlue = file;
    const source = fs.readFileSync(file, 'utf8');
    const module = {exports: {}};
    const load = new Function('module', 'exports', 'require', '__filename', '__dirname', source);
    load(module, module.exports, require, file, path.dirname(file));
    globalThis.ModuleFactory = module.exports;
  };
}

// Loads the WASM runtime once per process and returns the @litertjs/core
// module. `options` are LiteRT.js's LoadLiteRtOptions (e.g. {threads: true}).
async function loadLiteRt(options = {}) {
  installImportScriptsShim();
  const packageMain = require.resolve('@litertjs/core');
  const litert = await import(pathToFileURL(packageMain).href);
  const wasmDir = path.join(path.dirname(packageMain), '..', 'wasm') + '/';
  // Node has no WebGPU: LiteRT.js warns once while probing for it; that
  // warning is expected here and only clutters the test log.
  const warn = console.warn;
  console.warn = (...a) => {
    if (!String(a[0]).startsWith('Failed to create default WebGPU device')) warn(...a);
  };
  try {
    await litert.loadLiteRt(wasmDir, options);
  } finally {
    console.warn = warn;
  }
  return litert;
}

// Compiles the .tflite bytes (Uint8Array) for the WASM CPU backend;
// `cpuOptions` is LiteRT.js's CpuOptions (e.g. {numThreads: 1}). Rejects with
// LiteRT.js's error when it refuses the model.
async function compileModel(litert, modelBytes, cpuOptions = undefined) {
  const options = {accelerator: 'wasm'};
  if (cpuOptions !== undefined) options.cpuOptions = cpuOptions;
  return litert.loadAndCompile(modelBytes, options);
}

// The emscripten glue file LiteRT.js chose (compat, relaxed-SIMD, threaded),
// or null before loadLiteRt.
function loadedGlueFile() {
  return loadedGlue;
}

module.exports = {loadLiteRt, compileModel, loadedGlueFile};
