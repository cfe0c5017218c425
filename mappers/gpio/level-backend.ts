import {
  edgeMatches,
  type GpioBackend,
  type GpioLine,
  type Level,
  type LineOptions,
  type WatchCallback,
} from './backend.js';
import { sysfsLineNumber, type SysfsChip } from './sysfs-chips.js';

/** The simulator's one chip, as a chip of sysfs would be listed. */
export const SIM_CHIP: SysfsChip = { dir: 'gpiochip0', device: 'gpiochip0', label: 'kedge-sim', base: 0, ngpio: 54 };

/** Physical pin levels somewhere (in memory, or in a `kedge sim gpio` process). */
export interface LevelSource {
  get(pin: number): Promise<Level>;
  set(pin: number, level: Level): Promise<void>;
  /** Every physical change of any pin. */
  subscribe(listener: (pin: number, level: Level) => void): () => void;
  dispose(): Promise<void>;
}

/**
 * A GpioBackend over physical levels: applies activeLow and turns changes into logical edges,
 * the way the kernel does for sysfs lines.
 */
export class LevelBackend implements GpioBackend {
  readonly accessible = true;

  constructor(
    readonly name: string,
    protected readonly source: LevelSource,
  ) {}

  async open(offset: number, o: LineOptions): Promise<GpioLine> {
    // One simulated chip, numbered like a Raspberry Pi before Linux 6.6 (sysfs base 0).
    const pin = o.chip === undefined ? offset : sysfsLineNumber(o.chip, offset, [SIM_CHIP]);
    const logical = (physical: Level): Level => (o.activeLow ? ((1 - physical) as Level) : physical);
    let last = logical(await this.source.get(pin));
    let unsubscribe: (() => void) | undefined;
    const stop = () => {
      unsubscribe?.();
      unsubscribe = undefined;
    };
    return {
      read: async () => logical(await this.source.get(pin)),
      write: (v) => this.source.set(pin, logical(v)),
      watch: (cb: WatchCallback) => {
        stop();
        unsubscribe = this.source.subscribe((p, physical) => {
          if (p !== pin) return;
          const now = logical(physical);
          const fire = o.direction === 'in' && edgeMatches(o.edge, last, now);
          last = now;
          if (fire) cb(null, now);
        });
      },
      unwatch: stop,
      close: async () => stop(),
    };
  }

  dispose(): Promise<void> {
    return this.source.dispose();
  }
}

/** In-memory levels; an output can be wired to inputs like a jumper wire. */
export class MemoryLevels implements LevelSource {
  private readonly levels = new Map<number, Level>();
  private readonly listeners = new Set<(pin: number, level: Level) => void>();
  private readonly jumpers = new Map<number, Set<number>>();

  async get(pin: number): Promise<Level> {
    return this.level(pin);
  }

  async set(pin: number, level: Level): Promise<void> {
    this.drive(pin, level);
  }

  level(pin: number): Level {
    return this.levels.get(pin) ?? 0;
  }

  /** Sets a pin's physical level (an external signal, or an output) and what is jumpered to it. */
  drive(pin: number, level: Level, seen = new Set<number>()): void {
    if (seen.has(pin)) return;
    seen.add(pin);
    const before = this.level(pin);
    this.levels.set(pin, level);
    if (before !== level) for (const l of [...this.listeners]) l(pin, level);
    for (const other of this.jumpers.get(pin) ?? []) this.drive(other, level, seen);
  }

  /** Connects two pins: driving either drives the other. */
  jumper(a: number, b: number): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const set = this.jumpers.get(x) ?? new Set<number>();
      set.add(y);
      this.jumpers.set(x, set);
    }
    this.drive(b, this.level(a));
  }

  subscribe(listener: (pin: number, level: Level) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    this.listeners.clear();
  }
}

/**
 * Simulated GPIO. It exists only because the machines kedge is developed and tested on have no GPIO
 * hardware and no gpio-sim kernel module (which would give real /sys/class/gpio lines); on a
 * Raspberry Pi the sysfs backend drives the real pins.
 */
export class SimGpioBackend extends LevelBackend {
  readonly levels: MemoryLevels;

  constructor(levels = new MemoryLevels()) {
    super('sim', levels);
    this.levels = levels;
  }

  /** Sets an input's physical level, as the sensor wired to it would. */
  setLevel(pin: number, level: Level): void {
    this.levels.drive(pin, level);
  }

  level(pin: number): Level {
    return this.levels.level(pin);
  }

  jumper(out: number, input: number): void {
    this.levels.jumper(out, input);
  }
}

/** A backend that reports no GPIO (as the sysfs backend does on a machine without /sys/class/gpio). */
export const inaccessibleBackend: GpioBackend = {
  name: 'none',
  accessible: false,
  open: () => Promise.reject(new Error('GPIO not accessible')),
  dispose: async () => undefined,
};
