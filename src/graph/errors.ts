/** Every refusal of a model at load, before any GPU work: what failed and where (tensor, node, field, byte stage). */
export class OnnxLoadError extends Error {
  override readonly name = 'OnnxLoadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
