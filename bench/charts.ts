/**
 * Charts as inline SVG strings, shared by the HTML report (`winoconv bench --html`) and the live benchmark page.
 * No scripts, no fonts, no network: an SVG element that any browser draws offline. Pure.
 */
import type { BenchResults } from './types.ts';
import { implLabel } from './table.ts';

export interface ChartSeries {
  name: string;
  color: string;
  values: (number | null | undefined)[];
}

export interface BarChartSpec {
  title: string;
  /** One group of bars per category (a layer). */
  categories: string[];
  series: ChartSeries[];
  /** Axis label, e.g. 'GFLOP/s'. */
  unit: string;
  log?: boolean;
  refLines?: { value: number; label: string; color?: string }[];
  width?: number;
  format?: (v: number) => string;
}

const PALETTE: Record<string, string> = {
  auto: '#4e79a7',
  winograd4: '#f28e2b',
  winograd2: '#e15759',
  winograd6: '#76b7b2',
  im2col: '#59a14f',
  direct: '#edc948',
  baseline: '#bab0ac',
  'tfjs-webgpu': '#b07aa1',
  'ort-webgpu': '#9c755f',
};
const EXTRA = ['#ff9da7', '#17becf', '#8c564b', '#7f7f7f', '#1f77b4'];

export function colorFor(name: string, index = 0): string {
  return PALETTE[name] ?? EXTRA[index % EXTRA.length];
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

function defaultFormat(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-2) return v.toExponential(1);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** A horizontal grouped bar chart: categories down the side, one bar per series in each group. */
export function barChartSvg(spec: BarChartSpec): string {
  const W = spec.width ?? 880;
  const fmt = spec.format ?? defaultFormat;
  const labelW = 200;
  const rightPad = 72;
  const plotW = W - labelW - rightPad;
  const barH = 11;
  const barGap = 2;
  const groupGap = 12;
  // legend: wrap items into rows
  const legendItems = spec.series.map((s) => ({ s, w: 22 + 7 * s.name.length + 14 }));
  const legendRows: (typeof legendItems)[] = [[]];
  let rowW = 0;
  for (const it of legendItems) {
    if (rowW + it.w > W - 20 && legendRows[legendRows.length - 1].length) {
      legendRows.push([]);
      rowW = 0;
    }
    legendRows[legendRows.length - 1].push(it);
    rowW += it.w;
  }
  const hasRefs = (spec.refLines ?? []).length > 0;
  // below the legend: a band for the reference lines' labels
  const top = 30 + legendRows.length * 18 + (hasRefs ? 20 : 6);
  const groupH = spec.series.length * (barH + barGap) - barGap;
  const plotH = Math.max(1, spec.categories.length) * (groupH + groupGap);
  const H = top + plotH + 36;

  const values = spec.series.flatMap((s) => s.values).filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && (!spec.log || v > 0));
  const refs = (spec.refLines ?? []).filter((r) => Number.isFinite(r.value) && (!spec.log || r.value > 0));
  const all = [...values, ...refs.map((r) => r.value)];
  let scale: (v: number) => number;
  let ticks: number[];
  if (spec.log) {
    const lo = all.length ? Math.floor(Math.log10(Math.min(...all))) : -8;
    const hi = all.length ? Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all)))) : 0;
    scale = (v) => ((Math.log10(v) - lo) / (hi - lo)) * plotW;
    ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  } else {
    const max = all.length ? Math.max(...all) : 1;
    const step = niceStep((max > 0 ? max : 1) / 5);
    const hi = Math.ceil((max > 0 ? max : 1) / step) * step;
    scale = (v) => (Math.max(0, v) / hi) * plotW;
    ticks = Array.from({ length: Math.round(hi / step) + 1 }, (_, i) => i * step);
  }

  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(spec.title)}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`);
  o.push(`<title>${escapeXml(spec.title)}</title>`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="10" y="18" font-size="14" font-weight="600" fill="#222">${escapeXml(spec.title)}</text>`);
  legendRows.forEach((row, ri) => {
    let lx = 10;
    for (const it of row) {
      const ly = 30 + ri * 18;
      o.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${it.s.color}"/><text x="${lx + 16}" y="${ly + 10}" fill="#333">${escapeXml(it.s.name)}</text>`);
      lx += it.w;
    }
  });
  const x0 = labelW;
  for (const t of ticks) {
    const tx = x0 + scale(t);
    o.push(`<line x1="${tx.toFixed(1)}" y1="${top - 4}" x2="${tx.toFixed(1)}" y2="${top + plotH}" stroke="#e3e3e3"/>`);
    o.push(`<text x="${tx.toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle" fill="#555">${escapeXml(fmt(t))}</text>`);
  }
  o.push(`<text x="${x0 + plotW / 2}" y="${top + plotH + 30}" text-anchor="middle" fill="#333">${escapeXml(spec.unit)}${spec.log ? ' (log scale)' : ''}</text>`);
  spec.categories.forEach((cat, ci) => {
    const gy = top + ci * (groupH + groupGap);
    o.push(`<text x="${labelW - 8}" y="${(gy + groupH / 2 + 4).toFixed(1)}" text-anchor="end" fill="#222">${escapeXml(cat)}</text>`);
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      const y = gy + si * (barH + barGap);
      if (typeof v !== 'number' || !Number.isFinite(v) || (spec.log && v <= 0)) {
        if (v !== undefined && v !== null) o.push(`<text x="${x0 + 4}" y="${y + barH - 2}" fill="#b00">${escapeXml(s.name)}: ${escapeXml(String(v))}</text>`);
        return;
      }
      const w = Math.max(1, scale(v));
      o.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${s.color}"><title>${escapeXml(`${cat} · ${s.name}: ${fmt(v)} ${spec.unit}`)}</title></rect>`);
      o.push(`<text x="${(x0 + w + 4).toFixed(1)}" y="${y + barH - 2}" fill="#333" font-size="10">${escapeXml(fmt(v))}</text>`);
    });
  });
  o.push(`<line x1="${x0}" y1="${top - 4}" x2="${x0}" y2="${top + plotH}" stroke="#888"/>`);
  for (const r of refs) {
    const rx = x0 + scale(r.value);
    const color = r.color ?? '#c00';
    o.push(`<line x1="${rx.toFixed(1)}" y1="${top - 6}" x2="${rx.toFixed(1)}" y2="${top + plotH}" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    o.push(`<text x="${Math.min(rx, W - 4).toFixed(1)}" y="${top - 8}" text-anchor="${rx > W - 160 ? 'end' : 'middle'}" fill="${color}" font-size="10">${escapeXml(`${r.label} ${fmt(r.value)}`)}</text>`);
  }
  o.push('</svg>');
  return o.join('\n');
}

/** The implementations in a result set, in the order they first appear, with their colours. */
function seriesOf(r: Pick<BenchResults, 'rows'>, value: (row: BenchResults['rows'][number]) => number | undefined): { layers: string[]; series: ChartSeries[] } {
  const layers = [...new Set(r.rows.map((w) => w.layer))];
  const impls = [...new Set(r.rows.map((w) => w.impl))];
  const series = impls.map((impl, i) => {
    const rows = r.rows.filter((w) => w.impl === impl);
    const name = impl === 'auto' ? 'auto' : impl;
    return { name, color: colorFor(impl, i), values: layers.map((l) => { const w = rows.find((x) => x.layer === l); return w ? value(w) : undefined; }) };
  });
  return { layers, series };
}

export function gflopsChartSvg(r: Pick<BenchResults, 'rows' | 'ceiling'>, width?: number): string {
  const { layers, series } = seriesOf(r, (w) => w.gflops);
  const per = r.ceiling?.perLayer;
  if (per && Object.keys(per).length) series.push({ name: 'FMA probe, same rounds (GPU time)', color: '#d9d9d9', values: layers.map((l) => per[l]) });
  return barChartSvg({
    title: 'Effective GFLOP/s per layer (direct-convolution FLOPs / median wall time, launch → read back)',
    categories: layers,
    series,
    unit: 'GFLOP/s',
    refLines: r.ceiling ? [{ value: r.ceiling.gflops, label: 'FMA ceiling', color: '#c00' }] : [],
    width,
  });
}

export function errorChartSvg(r: Pick<BenchResults, 'rows'>, width?: number): string {
  const { layers, series } = seriesOf(r, (w) => (w.nonFinite ? Infinity : w.maxRelError));
  return barChartSvg({
    title: 'Max relative error against the float64 reference, per layer and implementation',
    categories: layers,
    series,
    unit: 'max |y − ref| / max |ref|',
    log: true,
    refLines: [{ value: 1e-3, label: 'counted in speed ratios below', color: '#777' }],
    width,
    format: (v) => v.toExponential(0),
  });
}

/** Auto's choice per layer, as legend text for a chart caption. */
export function autoChoices(r: Pick<BenchResults, 'rows'>): string {
  return r.rows.filter((w) => w.impl === 'auto').map((w) => `${w.layer}: ${implLabel(w)}`).join('; ');
}
