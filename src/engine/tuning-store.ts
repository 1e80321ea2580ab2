/**
 * Where the autotuner keeps its winners: keyed by adapter (vendor, architecture, device, features, limits),
 * engine version, descriptor and size (see tuner.ts tuningKey). Exportable as JSON so a runtime can ship tuned
 * configurations with its model.
 */
import type { ConcreteAlgorithm, TuningConfig } from './algorithm.ts';

export interface TunedChoice {
  algorithm: ConcreteAlgorithm;
  tuning: TuningConfig;
  /** Measured time of the winner (ms) and how it was measured. */
  ms: number;
  method: string;
}

export interface TuningStore {
  get(key: string): TunedChoice | undefined;
  set(key: string, choice: TunedChoice): void;
  delete(key: string): void;
  /** Every entry, for shipping with a model. */
  export(): Record<string, TunedChoice>;
  /** Adds entries (validated); returns how many were taken. */
  import(entries: unknown): number;
}

function validChoice(v: unknown): v is TunedChoice {
  const c = v as TunedChoice;
  return Boolean(c) && typeof c.algorithm === 'string' && typeof c.tuning === 'object' && c.tuning !== null && typeof c.ms === 'number' && typeof c.method === 'string';
}

export class MemoryTuningStore implements TuningStore {
  protected entries = new Map<string, TunedChoice>();

  get(key: string): TunedChoice | undefined {
    return this.entries.get(key);
  }

  set(key: string, choice: TunedChoice): void {
    this.entries.set(key, choice);
    this.persist();
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.persist();
  }

  export(): Record<string, TunedChoice> {
    return Object.fromEntries(this.entries);
  }

  import(entries: unknown): number {
    if (!entries || typeof entries !== 'object' || Array.isArray(entries)) throw new Error(`tuning entries = ${JSON.stringify(entries)?.slice(0, 60)}: must be an object of key → {algorithm, tuning, ms, method}`);
    let n = 0;
    for (const [k, v] of Object.entries(entries as Record<string, unknown>)) {
      if (!validChoice(v)) throw new Error(`tuning entry ${k}: must be {algorithm, tuning, ms, method}, got ${JSON.stringify(v)?.slice(0, 80)}`);
      this.entries.set(k, v);
      n++;
    }
    this.persist();
    return n;
  }

  /** Subclasses write through to their storage. */
  protected persist(): void {}
}

/** The browser's localStorage (one JSON item), for tuned choices that survive a reload. */
export class LocalStorageTuningStore extends MemoryTuningStore {
  constructor(private readonly item = 'winoconv-tuning') {
    super();
    const storage = (globalThis as { localStorage?: Storage }).localStorage;
    const text = storage?.getItem(item);
    if (text) {
      try {
        this.import(JSON.parse(text));
      } catch {
        storage?.removeItem(item);
      }
    }
  }

  protected override persist(): void {
    (globalThis as { localStorage?: Storage }).localStorage?.setItem(this.item, JSON.stringify(this.export()));
  }
}
