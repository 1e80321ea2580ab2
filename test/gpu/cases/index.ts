/** Every GPU case, in one list: the Node and the browser test files both register exactly these. */
import type { GpuCase } from '../harness/types.ts';
import { directBaselineCases } from './direct-baseline.ts';
import { gemmCases } from './gemm.ts';
import { winogradStageCases } from './winograd-stages.ts';
import { directKernelCases } from './direct.ts';
import { engineCases } from './engine.ts';
import { tunerCases } from './tuner.ts';
import { int8Cases } from './int8.ts';
import { engineInt8Cases } from './engine-int8.ts';
import { engineF16Cases } from './engine-f16.ts';
import { int8WinogradCases } from './int8-winograd.ts';
import { apiCases } from './api.ts';
import { opsCases } from './ops.ts';
import { engineIoCases } from './engine-io.ts';
import { reliabilityCases } from './reliability.ts';
import { sessionCases } from './session.ts';
import { quantOpsCases } from './quant-ops.ts';
import { requantCases } from './requant.ts';

export const GPU_CASES: GpuCase[] = [...directBaselineCases, ...gemmCases, ...winogradStageCases, ...directKernelCases, ...engineCases, ...tunerCases, ...int8Cases, ...int8WinogradCases, ...engineInt8Cases, ...engineF16Cases, ...apiCases, ...reliabilityCases, ...engineIoCases, ...opsCases, ...sessionCases, ...quantOpsCases, ...requantCases];

export function findCase(name: string): GpuCase {
  const c = GPU_CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no GPU case named '${name}'`);
  return c;
}
