/**
 * `winoconv quantize MODEL.onnx --calibrate PATH... --out OUT.onnx [--per-channel] [--method minmax|percentile|entropy]
 * [--percentile P] [--activation-type int8|uint8] [--tapwise] [image preprocessing flags]`: static post-training
 * quantization to the QDQ form (src/graph/quantizer.ts), calibrated through a winoconv session (src/graph/calibrate.ts).
 */
import type { Verb } from './verb.ts';
import { IMAGE_OPTIONS, loadCalibration } from './inputs.ts';

export const quantizeVerb: Verb = {
  summary:
    'Static post-training quantization to the standard QDQ ONNX form (as ONNX Runtime\'s quantize_static writes it). ' +
    '--calibrate PATH (repeatable; a file or a folder of .png/.jpg/.jpeg/.pb/.npy files) gives the calibration inputs of the ' +
    'model\'s one float input; images are preprocessed like `winoconv run` (--size HxW --layout nchw|nhwc --scale S (default ' +
    '1/255) --mean m1,m2,m3 --std s1,s2,s3 --bgr). The float model runs on each input in a winoconv session (progress on ' +
    'stderr) and --method minmax (default) | percentile (--percentile P, default 99.999) | entropy turns the values into ' +
    'ranges (--bins N: histogram bins, default 2048 for percentile and 128 for entropy, ORT\'s defaults; entropy with 128 ' +
    'bins keeps the whole symmetric range, give e.g. --bins 2048 for a real search). Activations int8 asymmetric (--activation-type uint8 for uint8), weights int8 symmetric per tensor or ' +
    '--per-channel (axis 0; opset raised to 13), biases int32. --op-types LIST replaces the op types given Q/DQ (+Op,... adds ' +
    'to them; e.g. +BatchNormalization as ORT\'s default list has it). --out OUT.onnx (required). --tapwise also calibrates per-tap ' +
    'Winograd-domain scales (F(2x2,3x3), F(4x4,3x3), F(2x1,3x3), F(4x1,3x3)) for every 3×3 stride-1 Conv from its real ' +
    'quantized inputs (a second pass) into metadata_props \'winoconv.tapScales\'.',
  usage:
    'winoconv quantize MODEL.onnx --calibrate PATH... --out OUT.onnx [--per-channel] [--method minmax|percentile|entropy] ' +
    '[--percentile P] [--bins N] [--activation-type int8|uint8] [--op-types LIST] [--tapwise] [--size HxW] [--layout nchw|nhwc] [--scale S] [--mean M] [--std S] [--bgr]',
  options: {
    calibrate: { type: 'string', multiple: true },
    out: { type: 'string' },
    'per-channel': { type: 'boolean' },
    method: { type: 'string' },
    percentile: { type: 'string' },
    bins: { type: 'string' },
    'activation-type': { type: 'string' },
    tapwise: { type: 'boolean' },
    'op-types': { type: 'string' },
    ...IMAGE_OPTIONS,
  },
  allowPositionals: true,
  gpu: () => ({ node: true }),
  async run(values, positionals) {
    if (positionals.length !== 1) throw new Error('give one model: winoconv quantize MODEL.onnx --calibrate PATH... --out OUT.onnx');
    const out = values.out as string | undefined;
    if (!out) throw new Error('--out OUT.onnx is required');
    if (!out.toLowerCase().endsWith('.onnx')) throw new Error(`--out ${out}: expected a path ending in .onnx`);
    const { CALIBRATION_METHODS } = await import('../graph/calibrate.ts');
    const method = (values.method as string | undefined) ?? 'minmax';
    if (!(CALIBRATION_METHODS as readonly string[]).includes(method)) throw new Error(`--method ${method}: one of ${CALIBRATION_METHODS.join(', ')}`);
    const activationType = (values['activation-type'] as string | undefined) ?? 'int8';
    if (activationType !== 'int8' && activationType !== 'uint8') throw new Error(`--activation-type ${activationType}: int8 or uint8`);
    let percentile: number | undefined;
    if (values.percentile !== undefined) {
      if (method !== 'percentile') throw new Error(`--percentile ${String(values.percentile)}: only with --method percentile`);
      percentile = Number(values.percentile);
      if (!(percentile > 0 && percentile <= 100)) throw new Error(`--percentile ${String(values.percentile)}: a number in (0, 100]`);
    }
    let bins: number | undefined;
    if (values.bins !== undefined) {
      if (method === 'minmax') throw new Error(`--bins ${String(values.bins)}: only with --method percentile or entropy`);
      bins = Number(values.bins);
      if (!Number.isSafeInteger(bins) || bins < 128 || bins > 65536) throw new Error(`--bins ${String(values.bins)}: an integer in [128, 65536]`);
    }
    const { QUANTIZED_OP_TYPES, SUPPORTED_OP_TYPES } = await import('../graph/quantizer.ts');
    let opTypes: string[] = [...QUANTIZED_OP_TYPES];
    if (values['op-types'] !== undefined) {
      const given = String(values['op-types']).split(',').map((x) => x.trim()).filter(Boolean);
      const extra = given.filter((x) => x.startsWith('+')).map((x) => x.slice(1));
      const bad = [...given.filter((x) => !x.startsWith('+')), ...extra].filter((x) => !SUPPORTED_OP_TYPES.includes(x));
      if (bad.length || given.length === 0) throw new Error(`--op-types ${String(values['op-types'])}: ${bad.length ? `${bad.join(', ')} not supported; ` : ''}give a comma list of ${SUPPORTED_OP_TYPES.join(', ')} (or +Op,... to add to the default list)`);
      if (extra.length && extra.length !== given.length) throw new Error(`--op-types ${String(values['op-types'])}: either a full list or only +Op entries (added to the default list), not both`);
      opTypes = extra.length ? [...opTypes, ...extra] : given;
    }
    const paths = (values.calibrate as string[] | undefined) ?? [];
    if (paths.length === 0) throw new Error('--calibrate PATH is required (calibration images, .pb or .npy tensors, or folders of them)');
    const { writeFile } = await import('node:fs/promises');
    const modelPath = positionals[0];
    const { bytes, input, data } = await loadCalibration(modelPath, paths, values);
    const { decodeOnnx, importOnnx } = await import('../graph/onnx-import.ts');
    const declared = decodeOnnx(bytes);
    const graph = importOnnx(bytes, { inputShapes: { [input.name]: data[0].inputs[input.name].dims } });
    const { tensorsToCalibrate, quantizeGraph } = await import('../graph/quantizer.ts');
    const names = tensorsToCalibrate(graph, { opTypes });
    console.error(`quantize: ${modelPath}: ${graph.nodes.length} nodes, ${names.length} tensors to calibrate on ${data.length} input(s) (${method})`);
    const { createNodeEngine } = await import('../node/engine.ts');
    const { calibrateRanges } = await import('../graph/calibrate.ts');
    const engine = await createNodeEngine();
    const progress = (l: string) => console.error(l);
    const metadata: Record<string, string> = {};
    let q;
    let tapNote = '';
    try {
      const ranges = await calibrateRanges(engine, graph, names, data, { method: method as 'minmax', percentile, bins, progress });
      q = quantizeGraph(graph, ranges, { perChannel: Boolean(values['per-channel']), activationType, opTypes });
      if (values.tapwise) {
        const { calibrateTapwise, TAP_SCALES_KEY } = await import('../node/tapwise-calibrate.ts');
        const { doc, skipped } = await calibrateTapwise(engine, graph, q.spec, data, progress);
        metadata[TAP_SCALES_KEY] = JSON.stringify(doc);
        tapNote = `tap scales for ${Object.keys(doc.nodes).length} 3×3 stride-1 Conv(s) in metadata_props['${TAP_SCALES_KEY}']` + (skipped.length ? `; not: ${skipped.join('; ')}` : '');
      }
    } finally {
      engine.destroy();
    }
    const { spec, report } = q;
    const { writeOnnx } = await import('../graph/onnx-writer.ts');
    // The inputs and outputs as the file declares them (inference bound the symbolic dims to the calibration shape).
    const outBytes = writeOnnx({ ...spec, inputs: declared.inputs, outputs: declared.outputs, metadata });
    await writeFile(out, outBytes);
    const ops = Object.entries(report.quantizedNodes).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`quantized: ${ops || 'no nodes'}; removed ${report.removedActivations.length} Relu/Clip; ${report.activations} activation Q/DQ pairs (${activationType}), ${report.weights} weights (int8, ${values['per-channel'] ? 'per channel' : 'per tensor'}), ${report.biases} biases (int32)`);
    if (report.constantsToInitializers) console.log(`${report.constantsToInitializers} Constant nodes became initializers`);
    if (report.opsetBumpedFrom !== undefined) console.log(`opset raised from ${report.opsetBumpedFrom} to ${report.opset}`);
    if (tapNote) console.log(tapNote);
    for (const w of report.warnings) console.log(`warning: ${w}`);
    console.log(`wrote ${out} (${(outBytes.length / 2 ** 20).toFixed(2)} MiB; ${modelPath} ${(bytes.length / 2 ** 20).toFixed(2)} MiB)`);
    return 0;
  },
};

