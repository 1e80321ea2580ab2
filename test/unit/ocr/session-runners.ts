/**
 * Test helper: a winoconv Session (src/graph, GPU) as an OcrRunner, for the same pipeline and the same expected
 * texts as the ONNX Runtime runners (ort-runners.ts). Sessions bind input shapes at creation, and det (per image
 * size) and rec (per crop width; see ReadTextOptions.rec.widthMultiple) see several shapes: one session per distinct
 * input shape, created on first use and kept.
 */
import type { Session } from '../../../src/graph/runtime-types.ts';
import type { OcrRunner } from '../../../src/ocr/pipeline.ts';

export type SessionFactory = (inputShapes: Record<string, readonly number[]>) => Promise<Session>;

export function sessionRunner(create: SessionFactory, inputName = 'x'): OcrRunner & { sessions: Map<string, Session>; destroy(): void } {
  const sessions = new Map<string, Session>();
  const pending = new Map<string, Promise<Session>>();
  const get = (shape: number[]): Promise<Session> => {
    const key = shape.join('x');
    let p = pending.get(key);
    if (!p) {
      p = create({ [inputName]: shape }).then((s) => { sessions.set(key, s); return s; });
      pending.set(key, p);
    }
    return p;
  };
  const run = (async (input: Float32Array, shape: number[]) => {
    const session = await get(shape);
    const out = session.info.outputs[0];
    const result = await session.run({ [inputName]: input });
    return { data: result[out.name], shape: out.shape.slice() };
  }) as OcrRunner & { sessions: Map<string, Session>; destroy(): void };
  run.sessions = sessions;
  run.destroy = () => { for (const s of sessions.values()) s.destroy(); sessions.clear(); pending.clear(); };
  return run;
}
