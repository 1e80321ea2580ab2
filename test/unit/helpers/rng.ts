/** Seeded RNG for unit tests: the one implementation lives in src/util/random.ts. */
export { mulberry32, randomF32, randomInts } from '../../../src/util/random.ts';
