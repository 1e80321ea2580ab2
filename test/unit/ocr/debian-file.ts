/**
 * Test helper: one file out of a Debian package (test photos), cached in node_modules/.cache/winoconv/. On a cache
 * miss: `apt-get download <pkg>` into a temporary folder (after `apt-get update` when the package is not known and
 * we are root), `dpkg-deb --fsys-tarfile | tar -xO <path>`, a SHA-256 check, the cache write. Every step is printed.
 * Where apt-get or dpkg-deb is missing or a step fails, the result is { skip: reason } (the test skips and says why).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DebianFile {
  /** Path inside the package, as `dpkg-deb -c` lists it ('./usr/share/…'). */
  path: string;
  sha256: string;
}

export const CACHE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/winoconv/', import.meta.url));

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const log = (msg: string) => console.log(`[debian-file] ${msg}`);
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const cacheFile = (pkg: string, f: DebianFile) => join(CACHE_DIR, `${pkg}--${basename(f.path)}`);

function cached(pkg: string, f: DebianFile): Buffer | undefined {
  const file = cacheFile(pkg, f);
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  if (sha256(bytes) === f.sha256) {
    log(`${pkg}:${f.path} from the cache (${file})`);
    return bytes;
  }
  log(`cached ${file} has another SHA-256: fetching again`);
  return undefined;
}

/** Files of one package (one download for all cache misses), in order; or why not. */
export function debianFiles(pkg: string, files: DebianFile[]): { files: Buffer[] } | { skip: string } {
  const out = files.map((f) => cached(pkg, f));
  const missing = files.filter((_, i) => !out[i]);
  if (missing.length === 0) return { files: out as Buffer[] };
  if (!has('apt-get') || !has('dpkg-deb')) return { skip: `apt-get or dpkg-deb not available: cannot fetch ${missing.map((f) => f.path).join(', ')} from the Debian package ${pkg}` };
  const tmp = mkdtempSync(join(tmpdir(), 'winoconv-deb-'));
  try {
    const download = () => spawnSync('apt-get', ['download', pkg], { cwd: tmp, encoding: 'utf8' });
    log(`apt-get download ${pkg} (into ${tmp})`);
    let r = download();
    if (r.status !== 0 && process.getuid?.() === 0) {
      log(`apt-get download failed (${(r.stderr || '').trim().split('\n').pop()}); apt-get update and again`);
      spawnSync('apt-get', ['update'], { stdio: 'ignore' });
      r = download();
    }
    const deb = readdirSync(tmp).find((n) => n.endsWith('.deb'));
    if (r.status !== 0 || !deb) return { skip: `apt-get download ${pkg} failed: ${(r.stderr || '').trim().split('\n').pop()}` };
    mkdirSync(CACHE_DIR, { recursive: true });
    for (let i = 0; i < files.length; i++) {
      if (out[i]) continue;
      const f = files[i];
      log(`extracting ${f.path} from ${deb}`);
      const bytes = execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO "$2"', 'sh', join(tmp, deb), f.path], { maxBuffer: 1 << 28 });
      if (sha256(bytes) !== f.sha256) return { skip: `${f.path} in ${deb} has SHA-256 ${sha256(bytes)}, not the pinned ${f.sha256} (another package version?)` };
      writeFileSync(cacheFile(pkg, f), bytes);
      log(`cached ${bytes.length} bytes as ${cacheFile(pkg, f)}`);
      out[i] = bytes;
    }
    return { files: out as Buffer[] };
  } catch (e) {
    return { skip: `fetching from ${pkg} failed: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
