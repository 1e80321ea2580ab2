/**
 * Host-side packing of the int8 Winograd buffers (pure: typed arrays in, typed arrays out) and the inverse
 * unpacking used by tests. Index names: ξ < taps, t < tiles, c < C (c4 = ceil(C/4)), o < O (o4 = ceil(O/4)).
 *
 * Exact scheme (`winograd2-exact`):
 *   wino_u   U'[ξ][p][o4·4] u32, p < 2·c4: word = int16 U'[ξ][2p][o] (bits 0..15) | int16 U'[ξ][2p+1][o] << 16;
 *            read as vec4<u32> (4 output channels); channels ≥ C and columns ≥ O are 0.      packExactFilter
 *   wino_v   V[ξ][t][c4] vec2<u32>: int16 of channels 4k, 4k+1 in component 0, 4k+2, 4k+3 in 1.  packExactV
 *   wino_m   M[ξ][t][o4·4] i32 (read as vec4<i32>), lanes ≥ O unspecified (the kernels write 0 there).  packWinogradM
 * Tap-wise scheme (`winograd*-tap`):
 *   wino_uq  Uq[ξ][c4][o4·4] u32: byte j of the word of (ξ, k, o) = Uq[ξ][4k+j][o] (int8); read as vec4<u32>.
 *   tap_corr [ξ][o4·4] i32: 128 · Σ_c Uq[ξ][c][o] for uint8 taps, else 0.                         packTapWeights
 *   tap_xor  [ξ] u32: 0x80808080 for uint8 taps, else 0.
 *   wino_vq  Vq[ξ][t][c4] u32: byte j = q of channel 4k+j (int8 two's complement or uint8), 0 past C.  packTapVq
 *   tap_q    [ξ] vec4<i32>: (bits of fround(1/s_x[ξ]), lo[ξ], hi[ξ], 0).                             packTapInputParams
 *   tap_deq  [ξ][o4·4] f32: deq[o][ξ] = fround(fround(s_x[ξ]) · fround(s_w[o][ξ])), 0 past O.         packTapDequant
 * Both: qchan, the int8 output part's channel records (src/kernels/int8/format.ts QCHAN_FIELDS) with
 *   wz = wcorr = 0 (the schemes remove zero points before the transforms).                       packWinogradChannelParams
 */
import type { ConvGeometry } from '../../conv/types.ts';
import type { TapDtype, TapwiseKernelParams } from '../../quant/tapwise.ts';
import { packChannelParams, qWeightShape, type PackedInt8Weights, type QChannelValues } from '../int8/format.ts';
import type { QOutputMode } from '../int8/types.ts';

const c4of = (c: number) => Math.ceil(c / 4);

function need(what: string, got: number, want: number, rule: string): void {
  if (got !== want) throw new Error(`${what}: ${got} values given, ${rule} needs ${want}`);
}

// ---- exact ------------------------------------------------------------------------------------------------

function int16(what: string, v: number): number {
  if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new Error(`${what} = ${v}: must be an int16 (the exact scheme stores U' and V as int16)`);
  return v & 0xffff;
}

/** U'[ξ][c][o] (exactWinogradFilterTransform) → wino_u words. */
export function packExactFilter(U: ArrayLike<number>, taps: number, C: number, O: number): Uint32Array {
  need('packExactFilter', U.length, taps * C * O, `U'[ξ][c][o] ${taps}x${C}x${O}`);
  const c4 = c4of(C);
  const o4 = c4of(O);
  const out = new Uint32Array(taps * 2 * c4 * o4 * 4);
  for (let xi = 0; xi < taps; xi++) {
    for (let c = 0; c < C; c++) {
      const p = c >> 1;
      const sh = (c & 1) * 16;
      for (let o = 0; o < O; o++) {
        const i = ((xi * 2 * c4 + p) * o4 * 4) + o;
        out[i] = (out[i] | (int16(`U'[${xi}][${c}][${o}]`, U[(xi * C + c) * O + o]) << sh)) >>> 0;
      }
    }
  }
  return out;
}

/** Inverse of packExactFilter: U'[ξ][c][o]. */
export function unpackExactFilter(words: Uint32Array, taps: number, C: number, O: number): Int32Array {
  const c4 = c4of(C);
  const o4 = c4of(O);
  need('unpackExactFilter', words.length, taps * 2 * c4 * o4 * 4, `wino_u ${taps}x${2 * c4}x${o4 * 4}`);
  const out = new Int32Array(taps * C * O);
  for (let xi = 0; xi < taps; xi++) {
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < O; o++) {
        const w = words[(xi * 2 * c4 + (c >> 1)) * o4 * 4 + o];
        out[(xi * C + c) * O + o] = ((c & 1 ? w >>> 16 : w & 0xffff) << 16) >> 16;
      }
    }
  }
  return out;
}

/** V[ξ][t][c] → wino_v words (2 u32 per group of 4 channels; padding 0). */
export function packExactV(V: ArrayLike<number>, taps: number, tiles: number, C: number): Uint32Array {
  need('packExactV', V.length, taps * tiles * C, `V[ξ][t][c] ${taps}x${tiles}x${C}`);
  const c4 = c4of(C);
  const out = new Uint32Array(taps * tiles * c4 * 2);
  for (let r = 0; r < taps * tiles; r++) {
    for (let c = 0; c < C; c++) {
      const i = r * c4 * 2 + (c >> 1);
      out[i] = (out[i] | (int16(`V[${r}][${c}]`, V[r * C + c]) << ((c & 1) * 16))) >>> 0;
    }
  }
  return out;
}

/** wino_v words → V[ξ][t][c4·4] (padding lanes included, so callers can check them). */
export function unpackExactV(words: Uint32Array, taps: number, tiles: number, C: number): Int32Array {
  const cPad = 4 * c4of(C);
  need('unpackExactV', words.length, (taps * tiles * cPad) / 2, `wino_v ${taps}x${tiles}x${cPad / 4} vec2`);
  const out = new Int32Array(taps * tiles * cPad);
  for (let i = 0; i < out.length; i++) {
    const w = words[i >> 1];
    out[i] = ((i & 1 ? w >>> 16 : w & 0xffff) << 16) >> 16;
  }
  return out;
}

/** M[ξ][t][o] → wino_m ([ξ][t][o4·4] i32, padding 0). */
export function packWinogradM(M: ArrayLike<number>, taps: number, tiles: number, O: number): Int32Array {
  need('packWinogradM', M.length, taps * tiles * O, `M[ξ][t][o] ${taps}x${tiles}x${O}`);
  const oPad = 4 * c4of(O);
  const out = new Int32Array(taps * tiles * oPad);
  for (let r = 0; r < taps * tiles; r++) for (let o = 0; o < O; o++) out[r * oPad + o] = M[r * O + o];
  return out;
}

/** wino_m → M[ξ][t][o] (padding lanes dropped). */
export function unpackWinogradM(m: Int32Array, taps: number, tiles: number, O: number): Int32Array {
  const oPad = 4 * c4of(O);
  need('unpackWinogradM', m.length, taps * tiles * oPad, `wino_m ${taps}x${tiles}x${oPad}`);
  const out = new Int32Array(taps * tiles * O);
  for (let r = 0; r < taps * tiles; r++) for (let o = 0; o < O; o++) out[r * O + o] = m[r * oPad + o];
  return out;
}

// ---- tap-wise ---------------------------------------------------------------------------------------------

export interface PackedTapWeights {
  /** wino_uq. */
  words: Uint32Array;
  /** tap_corr [ξ][o4·4]. */
  corr: Int32Array;
  /** tap_xor [ξ]. */
  xor: Uint32Array;
}

export const UINT8_TAP_FLIP = 0x80808080;

/** Uq[ξ][c][o] (quantizeTapWeights) and the per-tap dtypes → wino_uq, tap_corr, tap_xor. */
export function packTapWeights(Uq: ArrayLike<number>, tapDtypes: readonly TapDtype[], C: number, O: number): PackedTapWeights {
  const taps = tapDtypes.length;
  need('packTapWeights', Uq.length, taps * C * O, `Uq[ξ][c][o] ${taps}x${C}x${O}`);
  const c4 = c4of(C);
  const oPad = 4 * c4of(O);
  const words = new Uint32Array(taps * c4 * oPad);
  const bytes = new Uint8Array(words.buffer);
  const corr = new Int32Array(taps * oPad);
  const xor = new Uint32Array(taps);
  for (let xi = 0; xi < taps; xi++) {
    const u8 = tapDtypes[xi] === 'uint8';
    if (!u8 && tapDtypes[xi] !== 'int8') throw new Error(`packTapWeights: tapDtypes[${xi}] = ${JSON.stringify(tapDtypes[xi])}: must be 'int8' or 'uint8'`);
    xor[xi] = u8 ? UINT8_TAP_FLIP : 0;
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < O; o++) {
        const v = Uq[(xi * C + c) * O + o];
        if (!Number.isInteger(v) || v < -128 || v > 127) throw new Error(`packTapWeights: Uq[${xi}][${c}][${o}] = ${v}: must be an int8`);
        bytes[((xi * c4 + (c >> 2)) * oPad + o) * 4 + (c & 3)] = v & 0xff;
        if (u8) corr[xi * oPad + o] += 128 * v;
      }
    }
  }
  return { words, corr, xor };
}

/** Inverse of packTapWeights' byte placement: Uq[ξ][c][o]. */
export function unpackTapWeights(words: Uint32Array, taps: number, C: number, O: number): Int8Array {
  const c4 = c4of(C);
  const oPad = 4 * c4of(O);
  need('unpackTapWeights', words.length, taps * c4 * oPad, `wino_uq ${taps}x${c4}x${oPad}`);
  const bytes = new Int8Array(words.buffer, words.byteOffset, words.byteLength);
  const out = new Int8Array(taps * C * O);
  for (let xi = 0; xi < taps; xi++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) out[(xi * C + c) * O + o] = bytes[((xi * c4 + (c >> 2)) * oPad + o) * 4 + (c & 3)];
  return out;
}

/** Vq[ξ][t][c] (tapwiseInputTransform) → wino_vq (bytes, 0 past C). */
export function packTapVq(Vq: ArrayLike<number>, taps: number, tiles: number, C: number): Uint32Array {
  need('packTapVq', Vq.length, taps * tiles * C, `Vq[ξ][t][c] ${taps}x${tiles}x${C}`);
  const c4 = c4of(C);
  const words = new Uint32Array(taps * tiles * c4);
  const bytes = new Uint8Array(words.buffer);
  for (let r = 0; r < taps * tiles; r++) {
    for (let c = 0; c < C; c++) {
      const v = Vq[r * C + c];
      if (!Number.isInteger(v) || v < -128 || v > 255) throw new Error(`packTapVq: Vq[${r}][${c}] = ${v}: must be an int8 or uint8 value`);
      bytes[r * c4 * 4 + c] = v & 0xff;
    }
  }
  return words;
}

/** wino_vq → Vq[ξ][t][c4·4], each tap's bytes read with its dtype (padding lanes included). */
export function unpackTapVq(words: Uint32Array, tapDtypes: readonly TapDtype[], tiles: number, C: number): Int32Array {
  const taps = tapDtypes.length;
  const cPad = 4 * c4of(C);
  need('unpackTapVq', words.length, (taps * tiles * cPad) / 4, `wino_vq ${taps}x${tiles}x${cPad / 4}`);
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const out = new Int32Array(taps * tiles * cPad);
  for (let i = 0; i < out.length; i++) {
    const xi = Math.floor(i / (tiles * cPad));
    const b = bytes[i];
    out[i] = tapDtypes[xi] === 'int8' && b >= 128 ? b - 256 : b;
  }
  return out;
}

/** tap_q records from tapwiseKernelParams. */
export function packTapInputParams(p: TapwiseKernelParams): Int32Array {
  const taps = p.inputInvScale.length;
  const out = new Int32Array(taps * 4);
  const bits = new Int32Array(p.inputInvScale.buffer, p.inputInvScale.byteOffset, taps);
  for (let xi = 0; xi < taps; xi++) {
    out[xi * 4] = bits[xi];
    out[xi * 4 + 1] = p.inputLo[xi];
    out[xi * 4 + 2] = p.inputHi[xi];
  }
  return out;
}

/** tap_deq [ξ][o4·4] from tapwiseKernelParams (its dequant is [o · taps + ξ]). */
export function packTapDequant(p: TapwiseKernelParams, O: number): Float32Array {
  const taps = p.inputInvScale.length;
  need('packTapDequant', p.dequant.length, O * taps, `dequant [o · taps + ξ] ${O}x${taps}`);
  const oPad = 4 * c4of(O);
  const out = new Float32Array(taps * oPad);
  for (let xi = 0; xi < taps; xi++) for (let o = 0; o < O; o++) out[xi * oPad + o] = p.dequant[o * taps + xi];
  return out;
}

// ---- output -----------------------------------------------------------------------------------------------

/**
 * qchan records of the int8 output part for a Winograd plan: the int8 format's packChannelParams with
 * effective weight zero points and corrections 0 (groups 1).
 */
export function packWinogradChannelParams(mode: QOutputMode, g: ConvGeometry, v: QChannelValues = {}): Int32Array {
  const O = g.outChannels;
  const shape = qWeightShape({ ...g, groups: 1 }, 'tap4');
  const zeros = new Int32Array(O);
  const fake: PackedInt8Weights = { words: new Uint32Array(0), storage: 'int8', wzp: false, kLayout: 'tap4', shape, wz: zeros, wsum: zeros, wcorr: zeros };
  return packChannelParams(mode, { ...g, groups: 1 }, fake, v);
}
