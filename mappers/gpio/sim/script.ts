import type { Level } from '../backend.js';
import { gpioErrors } from '../errors.js';

/** `17:1@500` = at 500 ms after start, drive pin 17 to level 1. */
export interface ScriptStep {
  pin: number;
  level: Level;
  atMs: number;
}

/** Parses `--script "17:1@500,17:0@1000"` into steps sorted by time. */
export function parseScript(text: string): ScriptStep[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^(\d+):([01])@(\d+)$/.exec(s);
      if (!m)
        throw gpioErrors.create(
          'KEDGE_GPIO_SIM',
          `script step ${JSON.stringify(s)} is not <pin>:<0|1>@<ms>, e.g. 17:1@500`,
        );
      return { pin: Number(m[1]), level: Number(m[2]) as Level, atMs: Number(m[3]) };
    })
    .sort((a, b) => a.atMs - b.atMs);
}
