/** Every algorithm implementation the engine can choose from. */
import type { AlgorithmImpl } from '../algorithm.ts';
import { directImpl } from './direct.ts';
import { im2colImpl } from './im2col.ts';
import { winogradImpls } from './winograd.ts';
import { int8WinogradImpls } from './int8-winograd.ts';

export const ALGORITHM_IMPLS: AlgorithmImpl[] = [...winogradImpls, ...int8WinogradImpls, im2colImpl, directImpl];
