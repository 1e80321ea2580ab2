/** A tuning store in a JSON file, for Node (default: $WINOCONV_TUNING_FILE or ~/.cache/winoconv/tuning.json). */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryTuningStore } from '../engine/tuning-store.ts';

export function defaultTuningFile(): string {
  return process.env.WINOCONV_TUNING_FILE ?? path.join(os.homedir(), '.cache', 'winoconv', 'tuning.json');
}

export class FileTuningStore extends MemoryTuningStore {
  readonly file: string;

  constructor(file = defaultTuningFile()) {
    super();
    this.file = file;
    if (existsSync(file)) {
      try {
        this.import(JSON.parse(readFileSync(file, 'utf8')));
      } catch (e) {
        throw new Error(`tuning file ${file}: ${(e as Error).message}; delete it or fix it`);
      }
    }
  }

  /** Written to a temporary file and renamed, so an interrupted write never leaves a torn file. */
  protected override persist(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.export(), null, 2) + '\n');
    renameSync(tmp, this.file);
  }
}
