#!/usr/bin/env -S npx tsx
/**
 * Fetches Debian's libonnx-testdata (apt-get download + dpkg-deb -x into node_modules/.cache/winoconv/debian/), finds
 * ONNX's node tests whose ops (read from each model.onnx) are all in the runtime's op set, links them into
 * node_modules/.cache/winoconv/libonnx-node-tests/, and reports how many there are and which use dtypes other than
 * float32: `npx tsx scripts/fetch-onnx-testdata.ts [--json]`. Then: `npx winoconv onnx-test <that folder>`.
 */
import { selectLibonnxTests } from '../src/node/libonnx-tests.ts';

try {
  const json = process.argv.includes('--json');
  const { folder, selected, all } = selectLibonnxTests(json ? () => undefined : console.log);
  if (json) {
    console.log(JSON.stringify({ folder, total: all.length, selected: selected.map(({ dir: _d, ...r }) => r) }, null, 2));
  } else {
    const other = selected.filter((t) => t.note);
    console.log(`${all.length} node tests in libonnx-testdata; ${selected.length} use only ops of the runtime's op set (linked in ${folder})`);
    console.log(`${selected.length - other.length} are float32 only; ${other.length} use other dtypes (skip-list candidates):`);
    const byType = new Map<string, number>();
    for (const t of other) for (const d of t.dtypes) if (d !== 'float32') byType.set(d, (byType.get(d) ?? 0) + 1);
    console.log(`  by dtype: ${[...byType].sort((a, b) => b[1] - a[1]).map(([d, n]) => `${d} ${n}`).join(', ')}`);
    for (const t of other) console.log(`  ${t.name.padEnd(48)} ${t.ops.join(',').padEnd(24)} ${t.note}`);
    const byOp = new Map<string, number>();
    for (const t of selected) for (const o of t.ops) byOp.set(o, (byOp.get(o) ?? 0) + 1);
    console.log(`tests per op: ${[...byOp].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} ${n}`).join(', ')}`);
    console.log(`run them: npx winoconv onnx-test ${folder}`);
  }
} catch (e) {
  console.error(`fetch-onnx-testdata: ${(e as Error).message}`);
  process.exit(1);
}
