// Baseline direct 2-D convolution, fp32. Input and output NHWC, weights HWIO ([kH][kW][Cin/groups][Cout]).
// Thread mapping: one invocation computes one output element; the linear index walks Cout fastest, so
// neighbouring invocations read neighbouring weights and write neighbouring outputs.
// Workgroup memory: none. Barriers: none.
// Dispatch: ceil(total / WORKGROUP_SIZE) workgroups, split over (x, y) when x would pass the device limit;
// the linear index is gid.x + gid.y * row_pitch (row_pitch = workgroups in x * WORKGROUP_SIZE).
// Handles strides, asymmetric pads (out-of-range taps are skipped), dilations and groups.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,
  out_h: u32,
  out_w: u32,
  out_c: u32,
  groups: u32,
  kernel_h: u32,
  kernel_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_top: u32,
  pad_left: u32,
  dilation_h: u32,
  dilation_w: u32,
  total: u32,
  row_pitch: u32,
  has_bias: u32,
  // 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 elu, 5 sigmoid
  activation: u32,
  alpha: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> output: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;

fn activate(v: f32) -> f32 {
  switch params.activation {
    case 1u: { return max(v, 0.0); }
    case 2u: { return clamp(v, 0.0, 6.0); }
    case 3u: { return select(params.alpha * v, v, v >= 0.0); }
    case 4u: { return select(exp(v) - 1.0, v, v > 0.0); }
    case 5u: { return 1.0 / (1.0 + exp(-v)); }
    default: { return v; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * params.row_pitch;
  if (idx >= params.total) {
    return;
  }
  let co = idx % params.out_c;
  var rest = idx / params.out_c;
  let ow = rest % params.out_w;
  rest = rest / params.out_w;
  let oh = rest % params.out_h;
  let n = rest / params.out_h;

  let cin_g = params.in_c / params.groups;
  let cout_g = params.out_c / params.groups;
  let ci0 = (co / cout_g) * cin_g;

  var acc = 0.0;
  for (var kh = 0u; kh < params.kernel_h; kh++) {
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.in_h)) {
      continue;
    }
    for (var kw = 0u; kw < params.kernel_w; kw++) {
      let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
      if (iw < 0 || iw >= i32(params.in_w)) {
        continue;
      }
      let x_base = ((n * params.in_h + u32(ih)) * params.in_w + u32(iw)) * params.in_c + ci0;
      let w_base = (kh * params.kernel_w + kw) * cin_g * params.out_c + co;
      for (var ci = 0u; ci < cin_g; ci++) {
        acc = fma(input[x_base + ci], weights[w_base + ci * params.out_c], acc);
      }
    }
  }
  if (params.has_bias != 0u) {
    acc += bias[co];
  }
  output[idx] = activate(acc);
}
