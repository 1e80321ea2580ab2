/**
 * Test helper: deterministic text images from an embedded 5×7 bitmap font (A–Z, 1–9, space, a few marks), each font
 * pixel a scale × scale block, softened by a 3×3 box blur; dark text on a light background, RGB 8-bit.
 */
import type { ImageInput } from '../../../src/ocr/image.ts';

// prettier-ignore
const GLYPHS: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#', B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.', D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####', F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####', H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.', J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#', L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#', N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.', P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#', R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.', T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.', V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.', X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..', Z: '##### ....# ...#. ..#.. .#... #.... #####',
  1: '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.', 2: '.###. #...# ....# ...#. ..#.. .#... #####',
  3: '##### ...#. ..#.. ...#. ....# #...# .###.', 4: '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  5: '##### #.... ####. ....# ....# #...# .###.', 6: '..##. .#... #.... ####. #...# #...# .###.',
  7: '##### ....# ...#. ..#.. .#... .#... .#...', 8: '.###. #...# #...# .###. #...# #...# .###.',
  9: '.###. #...# #...# .#### ....# ...#. .##..', ' ': '..... ..... ..... ..... ..... ..... .....',
  '-': '..... ..... ..... ##### ..... ..... .....', '.': '..... ..... ..... ..... ..... .##.. .##..',
};

export interface RenderOptions {
  /** Screen pixels per font pixel. Default 6 (letters 30 × 42 px). */
  scale?: number;
  /** Margin around the text block in px. Default 48. */
  margin?: number;
  /** Blank font rows between lines. Default 6. */
  lineGap?: number;
  /** Extra ink to the right of each font pixel, in px (a bolder face). Default 0. */
  bold?: number;
  ink?: [number, number, number];
  paper?: [number, number, number];
}

/** Renders lines of text (upper case, digits 1–9, space, '-', '.') into an RGB image. */
export function renderText(lines: string[], o: RenderOptions = {}): ImageInput & { data: Uint8Array } {
  const s = o.scale ?? 6, margin = o.margin ?? 48, gap = o.lineGap ?? 6, bold = o.bold ?? 0;
  const ink = o.ink ?? [25, 30, 40], paper = o.paper ?? [238, 236, 228];
  const cols = Math.max(...lines.map((l) => l.length)) * 6;
  const rows = lines.length * (7 + gap) - gap;
  const width = cols * s + 2 * margin, height = rows * s + 2 * margin;
  const cover = new Float32Array(width * height);
  lines.forEach((line, li) => {
    [...line].forEach((ch, ci) => {
      const g = GLYPHS[ch];
      if (!g) throw new Error(`renderText: no glyph for ${JSON.stringify(ch)}`);
      const rowsG = g.split(' ');
      for (let gy = 0; gy < 7; gy++) {
        for (let gx = 0; gx < 5; gx++) {
          if (rowsG[gy][gx] !== '#') continue;
          const x0 = margin + (ci * 6 + gx) * s, y0 = margin + (li * (7 + gap) + gy) * s;
          for (let y = y0; y < y0 + s; y++) cover.fill(1, y * width + x0, y * width + x0 + s + bold);
        }
      }
    });
  });
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let a = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = Math.min(Math.max(y + dy, 0), height - 1), xx = Math.min(Math.max(x + dx, 0), width - 1);
        a += cover[yy * width + xx];
      }
      a /= 9;
      for (let k = 0; k < 3; k++) data[(y * width + x) * 3 + k] = Math.round(paper[k] + (ink[k] - paper[k]) * a);
    }
  }
  return { data, width, height, channels: 3 };
}
