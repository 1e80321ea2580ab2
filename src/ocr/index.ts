/** The PP-OCR text pipeline (pure: no GPU, no DOM, no Node APIs). */
export { readText, type OcrRunner, type OcrRunners, type ReadTextOptions, type OcrLine, type OcrResult, type OcrTimings } from './pipeline.ts';
export { ctcCharacters, ctcDecode, cropQuad, clsPreprocess, recPreprocess, recWidth, type RecShapeOptions } from './rec.ts';
export { dbPostprocess, detPreprocess, detResizeSize, sortBoxes, type DetBox, type DetOptions } from './det.ts';
export { toRgb, type ImageInput, type Interpolation, type RgbImage } from './image.ts';
export type { Point, Quad } from './geometry.ts';
