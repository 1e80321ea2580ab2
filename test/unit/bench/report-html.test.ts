import { describe, expect, it } from 'vitest';
import { barChartSvg, errorChartSvg, gflopsChartSvg } from '../../../bench/charts.ts';
import { renderHtmlReport } from '../../../bench/report-html.ts';
import { results, row } from './fixtures.ts';

const rows = [
  row('64@56x56 3x3', 'auto', 10, { algorithm: 'winograd4' }), row('64@56x56 3x3', 'winograd4', 9, { gpuMedianMs: 7, gpuGflops: 142 }), row('64@56x56 3x3', 'im2col', 14),
  row('64@56x56 3x3', 'tfjs-webgpu', 30), row('64@56x56 3x3', 'ort-webgpu', 60, { maxRelError: 0.3, withinTolerance: false, worstRatio: 1e4 }),
  row('a<b & "c"', 'winograd4', 2), row('a<b & "c"', 'tfjs-webgpu', 3, { nonFinite: 1, maxRelError: Infinity }),
];
const layers = ['64@56x56 3x3', 'a<b & "c"'];

describe('HTML report', () => {
  const html = renderHtmlReport(results(rows, layers));

  it('is one self-contained document: inline styles, no scripts to run, nothing fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('</html>');
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/href\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(|@import/i);
    const scripts = html.match(/<script\b[^>]*>/gi) ?? [];
    expect(scripts).toEqual(['<script type="application/json" id="winoconv-bench-results">']);
    // the embedded JSON cannot close its script element early
    const json = html.slice(html.indexOf('id="winoconv-bench-results">') + 28, html.lastIndexOf('</script>'));
    expect(json).not.toContain('</');
    expect(JSON.parse(json).summary.bestPeerSpeedup.perLayer['64@56x56 3x3']).toBeCloseTo(30 / 9, 12);
  });

  it('has an inline SVG per chart (speed with the ceiling line, error on a log axis), with bars', () => {
    const svgs = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    expect(svgs[0]).toContain('Effective GFLOP/s');
    expect(svgs[0]).toContain('FMA ceiling');
    expect(svgs[1]).toContain('log scale');
    for (const svg of svgs) {
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
      expect((svg.match(/<rect\b[^>]*fill="#[0-9a-f]{6}"[^>]*>/g) ?? []).length).toBeGreaterThan(4);
      // balanced elements: every <rect …> / <text …> that is not self-closing is closed
      for (const tag of ['text', 'rect', 'title']) {
        const open = (svg.match(new RegExp(`<${tag}(?:\\s[^>]*)?(?<!/)>`, 'g')) ?? []).length;
        const close = (svg.match(new RegExp(`</${tag}>`, 'g')) ?? []).length;
        expect(close, tag).toBe(open);
      }
    }
  });

  it('escapes names, flags a wrong peer and shows the geomean', () => {
    expect(html).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(html).not.toContain('a<b & "c"');
    expect(html).toContain('stride 2 &lt;/script&gt;');
    expect(html).toMatch(/wrong: maxRel 3\.0e-1/);
    expect(html).toContain('geomean');
    expect(html).toContain('outside float32/im2col');
  });

  it('charts draw partial data and missing values (the live page redraws after every row)', () => {
    expect(gflopsChartSvg({ rows: [], ceiling: null })).toContain('<svg');
    const one = errorChartSvg({ rows: rows.slice(0, 1) });
    expect(one).toContain('auto');
    const withGap = barChartSvg({ title: 't', categories: ['x', 'y'], series: [{ name: 's', color: '#123456', values: [1, undefined] }], unit: 'u' });
    expect((withGap.match(/<rect\b[^>]*fill="#123456"/g) ?? []).length).toBe(2); // legend + one bar
  });
});
