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
