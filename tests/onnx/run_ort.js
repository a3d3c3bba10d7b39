// This file implements the ONNX Runtime side of the exporter tests: it runs an ONNX model
// on a batch read from a raw little-endian file and writes each output beside it.
//
// usage: node run_ort.js MODEL.onnx INPUT.bin float32|int8 N,H,W,C OUT_PREFIX
//   writes OUT_PREFIX<output name>.bin (raw values) for every model output, and prints
//   one JSON line: {"outputs": {name: {"type", "dims"}}}
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputPath, type, dimsText, outPrefix] = process.argv.slice(2);
  if (!outPrefix) throw new Error('usage: node run_ort.js MODEL INPUT float32|int8 N,H,W,C OUT_PREFIX');
  const dims = dimsText.split(',').map(Number);
  const bytes = fs.readFileSync(inputPath);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const data = type === 'float32' ? new Float32Array(buffer) : new Int8Array(buffer);
  // All graph optimisations: ONNX Runtime fuses the QDQ pairs into integer kernels.
  // x64quantprecision: on x86 without VNNI (AVX2, AVX-512F) its fast u8s8 kernels add
  // pairs of products in saturating 16-bit lanes, so int8 results depend on the CPU (the
  // exporter tests failed on an AVX2-only EPYC and passed on a VNNI machine). The precise
  // kernels compute what the ONNX operators define, on every CPU.
  const session = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: process.env.HWNAS_ORT_OPT || 'all',
    intraOpNumThreads: 1,
    extra: {session: {x64quantprecision: '1'}},
  });
  const feeds = {[session.inputNames[0]]: new ort.Tensor(type, data, dims)};
  const results = await session.run(feeds);
  const summary = {};
  for (const name of session.outputNames) {
    const t = results[name];
    fs.writeFileSync(outPrefix + name + '.bin', Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    summary[name] = {type: t.type, dims: t.dims};
  }
  console.log(JSON.stringify({outputs: summary}));
}

main().catch((e) => {
  console.error('run_ort.js: ' + e.message);
  process.exit(1);
});
