/** A plain-object description of an adapter: vendor, architecture, features, WGSL language features, limits. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  wgslLanguageFeatures: string[];
  limits: Record<string, number>;
}

export async function describeAdapter(gpu: GPU, options?: GPURequestAdapterOptions): Promise<AdapterReport> {
  const adapter = await gpu.requestAdapter(options);
  if (!adapter) throw new Error('requestAdapter() returned null: no WebGPU adapter is available');
  const limits: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as prototype getters, so walk the prototype chain.
  for (let o: object | null = adapter.limits; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k === 'constructor' || k in limits) continue;
      const v = (adapter.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') limits[k] = v;
    }
  }
  const info = adapter.info;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    features: [...adapter.features].sort(),
    wgslLanguageFeatures: [...(gpu.wgslLanguageFeatures ?? [])].sort(),
    limits: Object.fromEntries(Object.entries(limits).sort(([a], [b]) => a.localeCompare(b))),
  };
}

export function formatAdapterReport(r: AdapterReport, where: string): string {
  const lines = [
    `environment:   ${where}`,
    `adapter:       ${r.vendor || '(no vendor)'} / ${r.architecture || '(no architecture)'}${r.device ? ` / ${r.device}` : ''}`,
    `description:   ${r.description || '(none)'}`,
    `features:      ${r.features.join(', ') || '(none)'}`,
    `WGSL features: ${r.wgslLanguageFeatures.join(', ') || '(none)'}`,
    'limits:',
    ...Object.entries(r.limits).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
  ];
  return lines.join('\n');
}
