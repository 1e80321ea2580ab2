import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SHADER_MANIFEST } from '../../../src/kernels/shader-manifest.ts';
import { contractMismatches, reflectWgsl } from '../../../src/kernels/reflect.ts';

const SHADER_DIR = path.resolve(__dirname, '../../../shaders');
const files = readdirSync(SHADER_DIR).filter((f) => f.endsWith('.wgsl')).sort();

describe('shaders/*.wgsl', () => {
  it('has at least one shader', () => expect(files.length).toBeGreaterThan(0));

  for (const file of files) {
    describe(file, () => {
      const code = readFileSync(path.join(SHADER_DIR, file), 'utf8');
      it('parses with wgsl_reflect', () => {
        expect(() => reflectWgsl(code)).not.toThrow();
      });
      it('is declared in the host manifest with exactly its bindings and uniform layout', () => {
        const entry = SHADER_MANIFEST.find((e) => e.file === file);
        expect(entry, `${file} has no entry in src/kernels/shader-manifest.ts`).toBeDefined();
        expect(contractMismatches(code, entry!.bindings, entry!.uniforms, entry!.entryPoint)).toEqual([]);
        expect(reflectWgsl(code).overrides).toContain(entry!.workgroupOverride);
      });
    });
  }

  it('src/kernels/shaders.gen.ts is in sync with shaders/ (npm run gen:shaders)', () => {
    expect(() => execFileSync(process.execPath, [path.resolve(__dirname, '../../../scripts/embed-shaders.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('the contract check catches a binding the host does not declare', () => {
    const entry = SHADER_MANIFEST[0];
    const code = readFileSync(path.join(SHADER_DIR, entry.file), 'utf8');
    const wrong = entry.bindings.map((b) => (b.name === 'bias' ? { ...b, kind: 'storage' as const } : b));
    expect(contractMismatches(code, wrong, entry.uniforms, entry.entryPoint).join('\n')).toMatch(/bindings: host declares/);
    const shifted = [...entry.uniforms.slice(1), entry.uniforms[0]];
    expect(contractMismatches(code, entry.bindings, shifted, entry.entryPoint).join('\n')).toMatch(/uniform field 0/);
  });
});
