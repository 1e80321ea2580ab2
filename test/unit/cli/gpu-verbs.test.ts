/** Which `winoconv` verbs set up WebGPU first (src/cli/main.ts calls ensureGpu with these needs before `run`). */
import { describe, expect, it } from 'vitest';
import { benchVerb } from '../../../src/cli/bench.ts';
import { conformanceVerb } from '../../../src/cli/conformance.ts';
import { gpuTestVerb } from '../../../src/cli/gpu-test.ts';
import { infoVerb } from '../../../src/cli/info.ts';
import { transformsVerb } from '../../../src/cli/transforms.ts';
import { tuneVerb } from '../../../src/cli/tune.ts';

describe('GPU verbs', () => {
  it('need Dawn in Node, or Chromium with --browser', () => {
    for (const verb of [infoVerb, conformanceVerb, benchVerb]) {
      expect(verb.gpu?.({})).toEqual({ node: true });
      expect(verb.gpu?.({ browser: true })).toEqual({ browser: true });
    }
    expect(gpuTestVerb.gpu?.({})).toEqual({ node: true });
    expect(tuneVerb.gpu?.({})).toEqual({ node: true });
  });

  it('the CPU-only verb needs no GPU', () => {
    expect(transformsVerb.gpu).toBeUndefined();
  });
});
