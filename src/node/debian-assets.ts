/**
 * Test assets from Debian packages, fetched into the cache with `apt-get download` + `dpkg-deb -x` (no install, no
 * root needed for the download itself; only the Debian mirror is contacted):
 *   - libonnx-testdata: ONNX's backend node tests (test_<op>… folders with model.onnx and test_data_set_0);
 *   - fuzzyocr: its example e-mail ocr-jpg.eml carries a 443×246 JPEG of printed text (price labels), the photo the
 *     PP-OCR detector's test data uses. (darknet's data/*.jpg were considered: dog, eagle, giraffe, horses, kite,
 *     person, scream: real photos, but none with text to detect.)
 * Everything prints what it does; a failure is one line naming what to install or run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or package) root: src/node/ → ../.. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The cache folder: $WINOCONV_CACHE_DIR, else node_modules/.cache/winoconv in the checkout (gitignored). */
export function cacheDir(...sub: string[]): string {
  return path.join(process.env.WINOCONV_CACHE_DIR ?? path.join(ROOT, 'node_modules', '.cache', 'winoconv'), ...sub);
}

export type Log = (line: string) => void;

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The extracted tree of Debian package `name` (cache/debian/<name>/root), downloaded and extracted when missing.
 * Throws a one-line error naming what to do when apt-get/dpkg-deb are missing or the download fails.
 */
export function debianPackage(name: string, log: Log = console.log): string {
  const dir = cacheDir('debian', name);
  const root = path.join(dir, 'root');
  const done = path.join(dir, '.extracted');
  if (existsSync(done)) return root;
  if (!which('apt-get') || !which('dpkg-deb')) {
    throw new Error(`the Debian package '${name}' is needed but apt-get/dpkg-deb are not here: on Debian/Ubuntu run \`apt-get download ${name}\` and \`dpkg-deb -x\` it into ${root}`);
  }
  // Downloaded and extracted in a folder of this process, then renamed into place: test files running in
  // parallel (vitest workers) may fetch the same package at once; each finishes, the first rename wins.
  const work = path.join(dir, `tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    log(`fetching the Debian package ${name}: apt-get download ${name} (into ${dir})`);
    let r = spawnSync('apt-get', ['download', name], { cwd: work, encoding: 'utf8' });
    if (r.status !== 0 && /Unable to locate|has no installation candidate|Failed to fetch/.test(r.stderr ?? '') && process.getuid?.() === 0) {
      log('  apt-get update (the package lists may be stale)');
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
      r = spawnSync('apt-get', ['download', name], { cwd: work, encoding: 'utf8' });
    }
    const deb = readdirSync(work).find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
    if (r.status !== 0 || !deb) {
      const why = (r.stderr ?? '').split('\n').filter((l) => /^E:/.test(l)).join(' ') || `exit ${r.status}`;
      throw new Error(`apt-get download ${name} failed (${why}); run \`apt-get update\` (as root) and retry, or download ${name}'s .deb and extract it with \`dpkg-deb -x\` into ${root}, then create ${done}`);
    }
    log(`  dpkg-deb -x ${deb} ${root}`);
    const x = spawnSync('dpkg-deb', ['-x', path.join(work, deb), path.join(work, 'root')], { encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb} failed: ${x.stderr.trim()}`);
    if (!existsSync(done)) {
      rmSync(root, { recursive: true, force: true });
      try {
        renameSync(path.join(work, 'root'), root);
        writeFileSync(done, `${deb}\n`);
      } catch (e) {
        if (!existsSync(done)) throw e;
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return root;
}

/** The folder of ONNX's node tests from libonnx-testdata (…/data/node/test_*). */
export function libonnxNodeTestsDir(log: Log = console.log): string {
  const dir = path.join(debianPackage('libonnx-testdata', log), 'usr/share/libonnx-testdata/data/node');
  if (!existsSync(dir)) throw new Error(`libonnx-testdata is extracted but has no ${dir}: remove ${cacheDir('debian', 'libonnx-testdata')} and retry`);
  return dir;
}

/** A JPEG of printed text (fuzzyocr's example ocr-jpg.eml, image001.jpg, 443×246) in the cache; its path. */
export function ocrPhoto(log: Log = console.log): string {
  const out = cacheDir('photos', 'fuzzyocr-ocr-jpg.jpg');
  if (existsSync(out)) return out;
  const eml = path.join(debianPackage('fuzzyocr', log), 'usr/share/doc/fuzzyocr/examples/ocr-jpg.eml');
  if (!existsSync(eml)) throw new Error(`fuzzyocr is extracted but ${eml} is missing: remove ${cacheDir('debian', 'fuzzyocr')} and retry`);
  const jpeg = mimeImage(readFileSync(eml, 'latin1'), 'image/jpeg');
  if (!jpeg) throw new Error(`${eml}: no base64 image/jpeg part found`);
  mkdirSync(path.dirname(out), { recursive: true });
  // written beside and renamed: a test file running in parallel never reads half a JPEG
  writeFileSync(`${out}.tmp-${process.pid}`, jpeg);
  renameSync(`${out}.tmp-${process.pid}`, out);
  log(`  extracted ${out} (${jpeg.length} bytes) from ${path.basename(eml)}`);
  return out;
}

/** The first base64 MIME part of `type` in an e-mail's text. */
export function mimeImage(eml: string, type: string): Buffer | undefined {
  const lines = eml.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].toLowerCase().startsWith(`content-type: ${type}`)) continue;
    let j = i + 1;
    let base64 = false;
    for (; j < lines.length && lines[j].trim() !== ''; j++) if (/content-transfer-encoding:\s*base64/i.test(lines[j])) base64 = true;
    if (!base64) continue;
    const body: string[] = [];
    for (j++; j < lines.length && !lines[j].startsWith('--') && lines[j].trim() !== ''; j++) body.push(lines[j].trim());
    return Buffer.from(body.join(''), 'base64');
  }
  return undefined;
}
