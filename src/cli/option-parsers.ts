import { InvalidArgumentError } from 'commander';

/** Commander argument parsers shared by the commands: each names what it expected. */
export function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number ${min}..${max}, got ${text}`);
    return n;
  };
}

export function rate(text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a probability 0..1, got ${text}`);
  return n;
}

/** A TCP port; `min` 0 allows "any free port" where a command supports it. */
export function port(min: 0 | 1 = 0): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > 65535)
      throw new InvalidArgumentError(`expected a port ${min}..65535, got ${text}`);
    return n;
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d` (or a number of ms) -> milliseconds. */
export function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration like 90s, 30m, 24h or 7d, got ${text}`);
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!);
  if (ms < 1000) throw new InvalidArgumentError(`expected at least 1s, got ${text}`);
  return ms;
}
