/**
 * Find faces: BlazeFace front (bench/models/catalog.ts 'blazeface-front') on a winoconv session; decoding in
 * demo/lib/blazeface.ts. Sample photos from the demo server (demo/lib/samples.ts), or the camera when there is one.
 * URL parameters: sample=<index in the list>, threshold=<min score>.
 * `window.__winoconvDemo.result`: the faces of the first detection, in source-image pixels.
 */
import type { Session } from 'winoconv';
import { createSession } from 'winoconv';
import { catalogEntry } from '../bench/models/catalog.ts';
import { BLAZEFACE_INPUT, decodeBlazeface, joinBlazefaceOutputs, KEYPOINT_NAMES, type Face } from './lib/blazeface.ts';
import { $, addCss, demoEngine, demoHandle, escapeHtml, fetchModel, fetchServed, fmtMs, renderNav } from './lib/common.ts';
import type { SampleIndex, SamplePhoto } from './lib/samples.ts';

export interface FoundFace {
  score: number;
  /** Source-image pixels. */
  box: { x: number; y: number; w: number; h: number };
  keypoints: [number, number][];
}

export interface FacesResult {
  source: string;
  imageWidth: number;
  imageHeight: number;
  /** The square the detector saw, in source pixels (may reach outside the image when letterboxed). */
  region: { x: number; y: number; size: number };
  faces: FoundFace[];
  ms: { preprocess: number; run: number; decode: number };
  sessionMs: number;
}

renderNav();
addCss('#faces table { margin-top: 0.5rem; }');
const { status, resolve, fail } = demoHandle<FacesResult>($('status'));
const params = new URLSearchParams(location.search);
const view = $<HTMLCanvasElement>('view');
const sampleSelect = $<HTMLSelectElement>('sample');
const thresholdInput = $<HTMLInputElement>('threshold');
if (params.get('threshold')) thresholdInput.value = params.get('threshold')!;

const ENTRY = catalogEntry('blazeface-front');
const S = BLAZEFACE_INPUT;
let session: Session | undefined;
let sessionMs = NaN;
let samples: SamplePhoto[] = [];
let cameraStream: MediaStream | undefined;
const frame = document.createElement('canvas');
const frameCtx = frame.getContext('2d', { willReadFrequently: true })!;

/**
 * NHWC [1, 128, 128, 3] in [−1, 1] from a square region of the source, sampled bilinearly here (half-pixel centers,
 * outside the image: black) from the source's own pixels, so the input does not depend on the canvas's scaler.
 */
function preprocess(src: CanvasImageSource, w: number, h: number, region: { x: number; y: number; size: number }): Float32Array {
  if (frame.width !== w || frame.height !== h) { frame.width = w; frame.height = h; }
  frameCtx.drawImage(src, 0, 0, w, h);
  const px = frameCtx.getImageData(0, 0, w, h).data;
  const x = new Float32Array(S * S * 3);
  const k = region.size / S;
  const at = (xx: number, yy: number, c: number) => (xx < 0 || yy < 0 || xx >= w || yy >= h ? 0 : px[(yy * w + xx) * 4 + c]);
  for (let oy = 0; oy < S; oy++) {
    const fy = region.y + (oy + 0.5) * k - 0.5, iy = Math.floor(fy), ay = fy - iy;
    for (let ox = 0; ox < S; ox++) {
      const fx = region.x + (ox + 0.5) * k - 0.5, ix = Math.floor(fx), ax = fx - ix;
      for (let c = 0; c < 3; c++) {
        const v = (1 - ay) * ((1 - ax) * at(ix, iy, c) + ax * at(ix + 1, iy, c)) + ay * ((1 - ax) * at(ix, iy + 1, c) + ax * at(ix + 1, iy + 1, c));
        x[(oy * S + ox) * 3 + c] = v / 127.5 - 1;
      }
    }
  }
  return x;
}

/** The whole image letterboxed into a square (centered). */
const letterbox = (w: number, h: number) => { const size = Math.max(w, h); return { x: (w - size) / 2, y: (h - size) / 2, size }; };

async function detect(src: CanvasImageSource, w: number, h: number, region: { x: number; y: number; size: number }, name: string): Promise<FacesResult> {
  if (!session) throw new Error('the session is not ready');
  let t = performance.now();
  const x = preprocess(src, w, h, region);
  const preprocessMs = performance.now() - t;
  t = performance.now();
  const out = await session.run({ [ENTRY.inputName]: x });
  const runMs = performance.now() - t;
  t = performance.now();
  const joined = joinBlazefaceOutputs(session.info.outputs.map((o) => ({ shape: o.shape, data: out[o.name] as Float32Array })));
  const faces = decodeBlazeface(joined.scores, joined.regressors, { threshold: Number(thresholdInput.value) || 0.5 });
  const decodeMs = performance.now() - t;
  const k = region.size;
  const found: FoundFace[] = faces.map((f: Face) => ({
    score: f.score,
    box: { x: region.x + f.box.x * k, y: region.y + f.box.y * k, w: f.box.w * k, h: f.box.h * k },
    keypoints: f.keypoints.map(([px, py]) => [region.x + px * k, region.y + py * k] as [number, number]),
  }));
  return { source: name, imageWidth: w, imageHeight: h, region, faces: found, ms: { preprocess: preprocessMs, run: runMs, decode: decodeMs }, sessionMs };
}

function draw(src: CanvasImageSource, r: FacesResult): void {
  const scale = Math.min(720 / r.imageWidth, 560 / r.imageHeight, 2);
  view.width = Math.round(r.imageWidth * scale);
  view.height = Math.round(r.imageHeight * scale);
  const ctx = view.getContext('2d')!;
  ctx.drawImage(src, 0, 0, view.width, view.height);
  ctx.save();
  ctx.scale(scale, scale);
  ctx.setLineDash([6, 4]);
  ctx.strokeStyle = 'rgba(255,255,255,0.8)';
  ctx.lineWidth = 1.5 / scale;
  ctx.strokeRect(r.region.x, r.region.y, r.region.size, r.region.size);
  ctx.setLineDash([]);
  for (const f of r.faces) {
    ctx.strokeStyle = '#00e676';
    ctx.lineWidth = 3 / scale;
    ctx.strokeRect(f.box.x, f.box.y, f.box.w, f.box.h);
    ctx.fillStyle = '#ff1744';
    for (const [px, py] of f.keypoints) { ctx.beginPath(); ctx.arc(px, py, 3 / scale, 0, 2 * Math.PI); ctx.fill(); }
    ctx.font = `${14 / scale}px system-ui, sans-serif`;
    ctx.fillStyle = '#00e676';
    ctx.fillText(f.score.toFixed(2), f.box.x, f.box.y - 4 / scale);
  }
  ctx.restore();
  $('faces').innerHTML = r.faces.length
    ? `<table><tr><th>face</th><th class="num">score</th><th>box (x, y, w, h px)</th><th>keypoints (${KEYPOINT_NAMES.join(', ')})</th></tr>${r.faces
        .map((f, i) => `<tr><td>${i + 1}</td><td class="num">${f.score.toFixed(3)}</td><td>${[f.box.x, f.box.y, f.box.w, f.box.h].map((v) => v.toFixed(0)).join(', ')}</td><td>${f.keypoints.map(([a, b]) => `(${a.toFixed(0)}, ${b.toFixed(0)})`).join(' ')}</td></tr>`)
        .join('')}</table>`
    : '<p>No face above the threshold.</p>';
  $('timing').textContent = `preprocess ${fmtMs(r.ms.preprocess)} ms · winoconv session.run ${fmtMs(r.ms.run)} ms (upload, GPU, read back) · decode + NMS ${fmtMs(r.ms.decode)} ms · session created in ${fmtMs(r.sessionMs)} ms`;
}

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((res, rej) => {
    const img = new Image();
    img.onload = () => res(img);
    img.onerror = () => rej(new Error(`could not load ${url}`));
    img.src = url;
  });
}

async function detectSample(): Promise<FacesResult> {
  const s = samples[Number(sampleSelect.value)];
  if (!s) throw new Error('no sample photo to run on');
  status(`loading ${s.file}…`);
  const img = await loadImage(new URL(`samples/${s.file}`, location.href).href);
  const region = s.region ?? letterbox(img.naturalWidth, img.naturalHeight);
  status(`detecting on ${s.file}…`);
  const r = await detect(img, img.naturalWidth, img.naturalHeight, region, s.file);
  draw(img, r);
  status(`${s.label}: ${r.faces.length} face(s) found`);
  return r;
}

async function toggleCamera(): Promise<void> {
  const btn = $<HTMLButtonElement>('camera');
  if (cameraStream) {
    cameraStream.getTracks().forEach((t) => t.stop());
    cameraStream = undefined;
    btn.textContent = 'Camera';
    return;
  }
  cameraStream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  btn.textContent = 'Stop camera';
  const video = document.createElement('video');
  video.srcObject = cameraStream;
  video.muted = true;
  await video.play();
  const loop = async () => {
    if (!cameraStream) return;
    const w = video.videoWidth, h = video.videoHeight;
    const size = Math.min(w, h);
    const r = await detect(video, w, h, { x: (w - size) / 2, y: (h - size) / 2, size }, 'camera');
    draw(video, r);
    status(`camera: ${r.faces.length} face(s)`);
    requestAnimationFrame(() => void loop().catch(fail));
  };
  await loop();
}

async function setupCamera(): Promise<void> {
  const btn = $<HTMLButtonElement>('camera');
  const note = $('camera-note');
  const devices = navigator.mediaDevices?.enumerateDevices ? await navigator.mediaDevices.enumerateDevices().catch(() => []) : [];
  if (!devices.some((d) => d.kind === 'videoinput')) {
    btn.disabled = true;
    note.textContent = navigator.mediaDevices ? 'no camera found in this browser' : 'no camera API here (navigator.mediaDevices needs a secure context)';
    return;
  }
  btn.disabled = false;
  btn.addEventListener('click', () => void toggleCamera().catch((e) => status(`camera: ${(e as Error).message}`)));
}

async function main(): Promise<void> {
  void setupCamera();
  status('loading the sample list…');
  const index = (await (await fetchServed('samples/index.json')).json()) as SampleIndex;
  samples = index.samples;
  sampleSelect.innerHTML = samples.map((s, i) => `<option value="${i}">${escapeHtml(s.label)}</option>`).join('');
  const pick = Number(params.get('sample') ?? 0);
  if (samples[pick]) sampleSelect.value = String(pick);
  $('samples-note').textContent = `Sample photos: Debian's darknet data/*.jpg, served by the demo server.${index.note ? ` ${index.note}` : ''}`;
  status('creating the engine…');
  const { engine } = await demoEngine();
  status(`fetching ${ENTRY.label}…`);
  const bytes = await fetchModel(ENTRY.name);
  status(`creating the winoconv session (${ENTRY.input}; shaders, plans and weights: seconds on a software GPU)…`);
  const t0 = performance.now();
  session = await createSession(engine, bytes, { inputShapes: { [ENTRY.inputName]: ENTRY.inputDims } });
  sessionMs = performance.now() - t0;
  if (!samples.length) throw new Error(`no sample photos on this server${index.note ? `: ${index.note}` : ''}; the camera still works where there is one`);
  const btn = $<HTMLButtonElement>('detect');
  btn.disabled = false;
  btn.addEventListener('click', () => void detectSample().catch(fail));
  sampleSelect.addEventListener('change', () => void detectSample().catch(fail));
  resolve(await detectSample());
}

main().catch(fail);
