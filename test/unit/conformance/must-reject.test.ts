/**
 * SCHEMA.md "Must-reject cases": each class throws a ConvDescError naming field, value and rule, both from the
 * validator (geometry, shapes, tensors) and from the case parser (mutated sample cases).
 */
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../../src/conformance/case.ts';
import type { ConvGeometry } from '../../../src/conv/types.ts';
import { ConvDescError, geometryFromShapes, validateGeometry, type ConvShapes } from '../../../src/conv/validate.ts';
import { conv2dReference } from '../../../src/reference/conv2d.ts';
import { expectReject, rawCase } from './helpers.ts';

const G: ConvGeometry = {
  batch: 1, inChannels: 4, outChannels: 6, inHeight: 5, inWidth: 5, kernelH: 3, kernelW: 3,
  strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 2,
};
const SHAPES: ConvShapes = {
  inputShape: [1, 4, 5, 5], inputLayout: 'NCHW', weightShape: [6, 2, 3, 3], weightLayout: 'OIHW',
  strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 2,
};
const ONNX = 'onnx_conv_with_strides_padding';
const TFJS = 'tfjs_conv2d_022_x_1_8_8_3_f_3_3_3_4_s_2_2_d_1_p_same';

/** The sample case `id` with `mutate` applied. */
function mutated(id: string, mutate: (raw: Record<string, any>) => void) {
  const raw = rawCase(id);
  mutate(raw);
  return () => parseCase(raw);
}

describe('valid geometry', () => {
  it('accepts the base geometry and stride > 1 together with dilation > 1', () => {
    expect(validateGeometry(G)).toEqual({ outHeight: 5, outWidth: 5 });
    expect(validateGeometry({ ...G, strides: [2, 3], dilations: [2, 2] })).toEqual({ outHeight: 2, outWidth: 1 });
    expect(geometryFromShapes(SHAPES)).toEqual(G);
    expect(mutated(TFJS, (r) => { r.dilations = [2, 2]; r.expected.shape = [1, 3, 3, 4]; r.expected.data = r.expected.data.slice(0, 36); })).not.toThrow();
  });
});

describe('wrong tensor rank', () => {
  it('validator', () => {
    expectReject(() => geometryFromShapes({ ...SHAPES, inputShape: [4, 5, 5] }), 'input.shape', [4, 5, 5], /^must have rank 4 \(\[N, C, H, W\]\)$/);
    expectReject(() => geometryFromShapes({ ...SHAPES, weightShape: [6, 2, 3, 3, 1] }), 'weight.shape', [6, 2, 3, 3, 1], /^must have rank 4 \(\[O, I\/group, kH, kW\]\)$/);
  });
  it('case', () => {
    expectReject(mutated(ONNX, (r) => (r.input.shape = [1, 7, 5])), 'input.shape', [1, 7, 5], /must have rank 4/);
    expectReject(mutated(TFJS, (r) => (r.weight.shape = [3, 3, 12])), 'weight.shape', [3, 3, 12], /must have rank 4 \(\[kH, kW, I\/group, O\]\)/);
    expectReject(mutated(TFJS, (r) => (r.expected.shape = [4, 4, 4])), 'expected.shape', [4, 4, 4], /must have rank 4/);
  });
});

describe('input channels not matching the weight (times group)', () => {
  it('validator', () => {
    expectReject(
      () => geometryFromShapes({ ...SHAPES, weightShape: [6, 3, 3, 3] }),
      'weight.shape[1]', 3, /^in-channels per group times group \(3 x 2 = 6\) must equal the input channels \(4\)$/,
    );
    expectReject(
      () => geometryFromShapes({ ...SHAPES, weightLayout: 'HWIO', weightShape: [3, 3, 4, 6] }),
      'weight.shape[2]', 4, /\(4 x 2 = 8\) must equal the input channels \(4\)/,
    );
  });
  it('case', () => {
    expectReject(mutated(TFJS, (r) => { r.weight.shape = [3, 3, 2, 4]; r.weight.data = r.weight.data.slice(0, 72); }), 'weight.shape[2]', 2, /must equal the input channels \(3\)/);
  });
});

describe('group not dividing the channels', () => {
  it('validator: in and out channels', () => {
    expectReject(() => validateGeometry({ ...G, groups: 3 }), 'groups', 3, /^must divide inChannels \(4\)$/);
    expectReject(() => validateGeometry({ ...G, groups: 4 }), 'groups', 4, /^must divide outChannels \(6\)$/);
    expectReject(() => geometryFromShapes({ ...SHAPES, groups: 3 }), 'group', 3, /^must divide the input channels \(4\)$/);
    expectReject(() => geometryFromShapes({ ...SHAPES, groups: 4, weightShape: [6, 1, 3, 3] }), 'group', 4, /^must divide the output channels weight\.shape\[0\] \(6\)$/);
    expectReject(() => validateGeometry({ ...G, groups: 0 }), 'groups', 0, /must be an integer >= 1/);
  });
  it('case', () => {
    expectReject(mutated(TFJS, (r) => (r.group = 2)), 'group', 2, /must divide the input channels \(3\)/);
  });
});

describe('stride or dilation below 1', () => {
  it('validator', () => {
    expectReject(() => validateGeometry({ ...G, strides: [0, 1] }), 'strides[0]', 0, /^must be an integer >= 1$/);
    expectReject(() => validateGeometry({ ...G, strides: [1, -2] }), 'strides[1]', -2, /^must be an integer >= 1$/);
    expectReject(() => validateGeometry({ ...G, dilations: [1, 0] }), 'dilations[1]', 0, /^must be an integer >= 1$/);
    expectReject(() => validateGeometry({ ...G, strides: [1] as unknown as [number, number] }), 'strides', [1], /must be an array of 2 integers/);
  });
  it('case', () => {
    expectReject(mutated(ONNX, (r) => (r.strides = [2, 0])), 'strides[1]', 0, /must be an integer >= 1/);
    expectReject(mutated(ONNX, (r) => (r.dilations = [0, 1])), 'dilations[0]', 0, /must be an integer >= 1/);
  });
});

describe('pads below 0', () => {
  it('validator', () => {
    expectReject(() => validateGeometry({ ...G, pads: [1, 1, -1, 1] }), 'pads[2]', -1, /^must be an integer >= 0$/);
  });
  it('case', () => {
    expectReject(mutated(ONNX, (r) => (r.pads = [-1, 1, 1, 1])), 'pads[0]', -1, /must be an integer >= 0/);
  });
});

describe('output size below 1', () => {
  it('validator', () => {
    expectReject(
      () => validateGeometry({ ...G, inHeight: 1, pads: [0, 0, 0, 0] }),
      'outHeight', -1, /^must be >= 1: floor\(\(in 1 \+ pads 0 \+ 0 - effective kernel 3\) \/ stride 1\) \+ 1$/,
    );
    expectReject(() => validateGeometry({ ...G, dilations: [1, 4], pads: [0, 0, 0, 0] }), 'outWidth', -3, /effective kernel 9/);
  });
  it('case', () => {
    expectReject(mutated(ONNX, (r) => { r.pads = [0, 0, 0, 0]; r.dilations = [4, 1]; }), 'outHeight', 0, /must be >= 1: floor\(\(in 7 \+ pads 0 \+ 0 - effective kernel 9\) \/ stride 2\) \+ 1/);
  });
});

describe('data length not matching the shape', () => {
  it('validator (reference operands)', () => {
    const ops = { input: new Float64Array(99), inputLayout: 'NCHW' as const, weight: new Float64Array(108), weightLayout: 'OIHW' as const };
    expectReject(() => conv2dReference(G, ops), 'input.data.length', 99, /^must equal the product of input\.shape \[1, 4, 5, 5\] = 100$/);
    expectReject(() => conv2dReference(G, { ...ops, input: new Float64Array(100), weight: new Float64Array(107) }), 'weight.data.length', 107, /= 108$/);
    expectReject(
      () => conv2dReference(G, { ...ops, input: new Float64Array(100), weight: new Float64Array(108), bias: { shape: [6], data: [1, 2], broadcast: 'channel' } }),
      'bias.data.length', 2, /must equal the product of bias\.shape \[6\] = 6/,
    );
  });
  it('case', () => {
    expectReject(mutated(ONNX, (r) => r.input.data.pop()), 'input.data.length', 34, /must equal the product of input\.shape \[1, 1, 7, 5\] = 35/);
    expectReject(mutated(ONNX, (r) => r.expected.data.push(1)), 'expected.data.length', 13, /= 12/);
    expectReject(mutated(TFJS, (r) => r.weight.data.push(0)), 'weight.data.length', 109, /= 108/);
  });
});

describe('NaN, Infinity or non-integers in shapes', () => {
  it.each([Number.NaN, Infinity, -Infinity, 2.5, 0, '5'])('validator: input.shape[2] = %s', (bad) => {
    expectReject(() => geometryFromShapes({ ...SHAPES, inputShape: [1, 4, bad as number, 5] }), 'input.shape[2]', bad, /^must be an integer >= 1$/);
  });
  it('validator: geometry fields', () => {
    expectReject(() => validateGeometry({ ...G, kernelW: Number.NaN }), 'kernelW', Number.NaN, /^must be an integer >= 1$/);
    expectReject(() => validateGeometry({ ...G, batch: Infinity }), 'batch', Infinity, /^must be an integer >= 1$/);
    expectReject(() => validateGeometry({ ...G, pads: [1, 0.5, 1, 1] }), 'pads[1]', 0.5, /^must be an integer >= 0$/);
  });
  it('case', () => {
    expectReject(mutated(ONNX, (r) => (r.input.shape[3] = Number.NaN)), 'input.shape[3]', Number.NaN, /must be an integer >= 1/);
    expectReject(mutated(ONNX, (r) => (r.weight.shape[0] = Infinity)), 'weight.shape[0]', Infinity, /must be an integer >= 1/);
    expectReject(mutated(ONNX, (r) => (r.expected.shape[2] = 4.5)), 'expected.shape[2]', 4.5, /must be an integer >= 1/);
  });
});

describe('other malformed case files', () => {
  it('name the field', () => {
    expectReject(mutated(ONNX, (r) => (r.op = 'deconv')), 'op', 'deconv', /must be one of 'conv', 'conv_integer', 'qlinear_conv', 'fused_conv'/);
    expectReject(mutated(ONNX, (r) => (r.layout = 'CHWN')), 'layout', 'CHWN', /must be 'NCHW' or 'NHWC'/);
    expectReject(mutated(ONNX, (r) => (r.weight.layout = 'OHWI')), 'weight.layout', 'OHWI', /must be 'OIHW' or 'HWIO'/);
    expectReject(mutated(ONNX, (r) => (r.input.data[3] = 'x')), 'input.data[3]', 'x', /must be a finite number/);
    expectReject(mutated(ONNX, (r) => (r.expected.shape = [1, 1, 4, 2])), 'expected.shape', [1, 1, 4, 2], /must equal the output shape \[1, 1, 4, 3\] in NCHW/);
    expectReject(mutated(ONNX, (r) => (r.expected.dtype = 'int32')), 'expected.dtype', 'int32', /op 'conv' needs one of float32/);
    expectReject(mutated(ONNX, (r) => delete r.input), 'input', undefined, /must be an object/);
    expectReject(mutated('onnx_convinteger_with_padding', (r) => (r.input.data[0] = 256)), 'input.data[0]', 256, /must be an integer in the uint8 range \[0, 255\]/);
    expectReject(mutated('onnx_convinteger_with_padding', (r) => (r.quant.w_zero_point = [0, 1, 2])), 'quant.w_zero_point', [0, 1, 2], /1 value \(per tensor\) or 2 values/);
    expectReject(mutated('onnx_convinteger_with_padding', (r) => (r.activation = { type: 'relu' })), 'activation.type', 'relu', /op 'conv_integer' allows only linear/);
    expectReject(mutated('tfjs_fused_conv2d_004_relu_bias_stride_2_x_1_8_8_16_f_3_3_16_1_s_2_2_d_8_p_same', (r) => (r.bias.shape = [4])), 'bias.data.length', 8, /= 4/);
    expectReject(
      mutated('tfjs_fused_conv2d_004_relu_bias_stride_2_x_1_8_8_16_f_3_3_16_1_s_2_2_d_8_p_same', (r) => Object.assign(r.bias, { shape: [2, 4], broadcast: 'numpy' })),
      'bias.shape', [2, 4], /not broadcastable \(numpy, trailing dimensions\) to the output shape \[1, 4, 4, 8\]/,
    );
    expectReject(
      mutated('tfjs_fused_conv2d_011_basic_with_prelu', (r) => (r.activation.prelu_weights.broadcast = 'scalar')),
      'activation.prelu_weights.shape', [1, 1, 2], /broadcast 'scalar' needs exactly one value/,
    );
    expectReject(mutated('tfjs_fused_conv2d_011_basic_with_prelu', (r) => delete r.activation.prelu_weights), 'activation.prelu_weights', undefined, /is required/);
    expectReject(mutated('tfjs_fused_conv2d_002_basic_with_relu', (r) => (r.activation.type = 'gelu')), 'activation.type', 'gelu', /must be one of/);
    expectReject(
      mutated('tfjs_depthwise_conv2d_010_input_1x5x5x4_f_3_s_1_d_1_p_same_chmul_1', (r) => (r.weight.original_shape = [3, 3, 2, 2])),
      'weight.original_shape', [3, 3, 2, 2], /must be re-expressed as HWIO \[kH, kW, 1, C\*M\]/,
    );
    expectReject(mutated(TFJS, (r) => { delete r.pads; r.pad_spec = [[0, 0], [1, 1]]; }), 'pad_spec', [[0, 0], [1, 1]], /must be 'same', 'valid', a number/);
    expectReject(() => parseCase([]), 'case', [], /must be an object/);
  });

  it('prefix the message with the case id', () => {
    const e = expectReject(mutated(ONNX, (r) => (r.group = 0)), 'group', 0, /must be an integer >= 1/);
    expect(e).toBeInstanceOf(ConvDescError);
    expect(e.message).toBe(`${ONNX}: group = 0: must be an integer >= 1`);
  });
});
