#!/usr/bin/env -S npx tsx
/**
 * Generates the ONNX test-data directories with the ONNX Runtime oracle into node_modules/.cache/winoconv/onnx-tests/
 * (or $WINOCONV_CACHE_DIR/onnx-tests/): `npx tsx scripts/make-onnx-tests.ts [NAME...] [--force] [--list]` (default: every float and
 * int8 test).
 * Missing directories only, unless --force. Then: `npx winoconv onnx-test node_modules/.cache/winoconv/onnx-tests`.
 */
import { ONNX_FP16_TESTS, ONNX_FP16_TEST_NAMES, ONNX_INT8_TESTS, ONNX_INT8_TEST_NAMES, ONNX_TESTS, ONNX_TEST_NAMES, ensureOnnxTests, onnxTestsDir } from '../src/node/onnx-testgen.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h') || args.includes('--list')) {
  console.log('usage: npx tsx scripts/make-onnx-tests.ts [NAME...] [--force] [--list]\n\ntests (generation time on one CPU thread):');
  for (const n of ONNX_TEST_NAMES) console.log(`  ${n.padEnd(20)} ${ONNX_TESTS[n].expect.padEnd(22)} ${ONNX_TESTS[n].description}`);
  for (const n of ONNX_INT8_TEST_NAMES) console.log(`  ${n.padEnd(20)} ${ONNX_INT8_TESTS[n].expect.padEnd(22)} ${ONNX_INT8_TESTS[n].description}`);
  for (const n of ONNX_FP16_TEST_NAMES) console.log(`  ${n.padEnd(20)} ${ONNX_FP16_TESTS[n].expect.padEnd(22)} ${ONNX_FP16_TESTS[n].description}`);
  console.log(`\ncache: ${onnxTestsDir()}`);
  process.exit(0);
}
const names = args.filter((a) => !a.startsWith('--'));
const t0 = performance.now();
try {
  const dirs = await ensureOnnxTests(names.length ? names : [...ONNX_TEST_NAMES, ...ONNX_INT8_TEST_NAMES, ...ONNX_FP16_TEST_NAMES], { force: args.includes('--force') });
  console.log(`${dirs.length} test dir(s) ready in ${onnxTestsDir()} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
} catch (e) {
  console.error(`make-onnx-tests: ${(e as Error).message}`);
  process.exit(1);
}
