/**
 * The demo's sample photos (pure data, shared by the pages and the server plugin). They come from Debian's darknet
 * package (data/*.jpg), served at /samples/<file> by demo/server/assets-plugin.ts when found on this machine.
 *
 * BlazeFace front is a selfie-range detector (faces filling much of its 128×128 input); the darknet photos are wide
 * scenes, so a sample may name the square `region` (source pixels) the detector looks at. Of darknet's photos only
 * Munch's The Scream shows a face turned to the camera (a painted one); person.jpg's person faces away, so the
 * detector should find nothing there.
 */
export interface SamplePhoto {
  file: string;
  label: string;
  /** The square the detector sees, in source pixels (default: the whole photo, letterboxed). */
  region?: { x: number; y: number; size: number };
  /** Whether a face is expected (the demo test checks the first sample that has one). */
  hasFace: boolean;
}

export const SAMPLE_PHOTOS: SamplePhoto[] = [
  { file: 'scream.jpg', label: 'The Scream (Munch), the face region', region: { x: 158, y: 196, size: 88 }, hasFace: true },
  { file: 'scream.jpg', label: 'The Scream (Munch), whole painting (the face is small for BlazeFace front)', hasFace: true },
  { file: 'person.jpg', label: 'person.jpg: a person seen from behind (no face to find)', hasFace: false },
];

/** What GET /samples/index.json answers: the sample photos found on this machine, or why there are none. */
export interface SampleIndex {
  samples: SamplePhoto[];
  /** Why some or all are missing (e.g. darknet's data not installed), for the page to print. */
  note?: string;
}
