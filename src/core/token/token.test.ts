import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, bearerMatches, readTokenFile } from './index.js';

describe('link token', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kedge-token-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads one token from a file, ignoring surrounding whitespace', async () => {
    await writeFile(join(dir, 't'), '  0123456789abcdef0123\n');
    expect(readTokenFile(join(dir, 't'))).toBe('0123456789abcdef0123');
  });

  it('refuses a missing file, a short token and one with spaces, naming the file', async () => {
    expect(() => readTokenFile(join(dir, 'nope'))).toThrow(/cannot read the token file .*nope/);
    await writeFile(join(dir, 'short'), 'abc\n');
    expect(() => readTokenFile(join(dir, 'short'))).toThrow(
      /short must hold one token of at least 16 characters .*holds 3/,
    );
    await writeFile(join(dir, 'two'), '0123456789abcdef 0123456789abcdef');
    expect(() => readTokenFile(join(dir, 'two'))).toThrow(/without spaces/);
  });

  it('warns, naming the file and the fix, when every user may read the token, and reads it anyway', async () => {
    const file = join(dir, 't');
    await writeFile(file, '0123456789abcdef0123\n');
    const warnings: string[] = [];
    await chmod(file, 0o644);
    expect(readTokenFile(file, (w) => warnings.push(w))).toBe('0123456789abcdef0123');
    expect(warnings).toEqual([
      `the token file ${file} is readable by every user of this machine (mode 0644); make it private: chmod 600 ${file}`,
    ]);
    warnings.length = 0;
    await chmod(file, 0o600);
    readTokenFile(file, (w) => warnings.push(w));
    await chmod(file, 0o640);
    readTokenFile(file, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
  });

  it('matches only the exact bearer token', () => {
    const token = '0123456789abcdef0123';
    expect(bearerMatches(bearer(token), token)).toBe(true);
    expect(bearerMatches(bearer(`${token}x`), token)).toBe(false);
    expect(bearerMatches(`Basic ${token}`, token)).toBe(false);
    expect(bearerMatches(undefined, token)).toBe(false);
    expect(bearerMatches(bearer('0123456789abcdef0124'), token)).toBe(false);
  });
});
