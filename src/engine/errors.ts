/**
 * Errors of the engine's device: a lost device, and GPU errors (out of memory, validation) caught in the error
 * scopes around allocations and submits.
 */

/**
 * The engine's GPUDevice was lost (destroyed, driver reset, out of memory at the driver level). Every call on
 * the engine or its plans throws this afterwards; `engine.recreate()` gets a new device (plans must be created
 * again), or create a new engine.
 */
export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
  constructor(
    /** GPUDeviceLostInfo.reason: 'destroyed' or 'unknown'. */
    readonly reason: string,
    readonly deviceMessage: string,
    what = 'the engine',
  ) {
    super(`${what}: the GPU device was lost (reason '${reason}'${deviceMessage ? `: ${deviceMessage}` : ''}); create the plans again after engine.recreate(), or on a new engine`);
  }
}

/** A GPU error caught in an engine error scope: what was being done, the filter and the device's message. */
export class GpuOperationError extends Error {
  override readonly name = 'GpuOperationError';
  constructor(
    readonly filter: GPUErrorFilter,
    readonly deviceMessage: string,
    message: string,
  ) {
    super(message);
  }
}

/** Opens out-of-memory and validation scopes; the returned function closes them and resolves to the first error. */
export function openErrorScopes(device: GPUDevice): () => Promise<{ filter: GPUErrorFilter; message: string } | undefined> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  return () => {
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    return Promise.all([oom, validation]).then(
      ([o, v]) => (o ? { filter: 'out-of-memory' as const, message: o.message } : v ? { filter: 'validation' as const, message: v.message } : undefined),
      (e) => ({ filter: 'internal' as const, message: `popErrorScope failed: ${(e as Error)?.message ?? e}` }),
    );
  };
}
