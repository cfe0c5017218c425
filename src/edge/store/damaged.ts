import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const SUFFIX = '.damaged-';

/**
 * Moves a damaged SQLite file (with its WAL; the shared-memory index is rebuilt from them) to
 * `<file>.damaged-<time>` beside it, for whoever wants to look at it, and removes older copies so
 * that a node that keeps damaging its files does not fill its disk with them. Returns the new path.
 */
export function moveAside(file: string, now = new Date()): string {
  const dir = dirname(file);
  for (const old of damagedCopies(file)) rmSync(join(dir, old), { force: true });
  const target = `${file}${SUFFIX}${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, target);
  if (existsSync(`${file}-wal`)) renameSync(`${file}-wal`, `${target}-wal`);
  rmSync(`${file}-shm`, { force: true });
  return target;
}

/** Names (in the file's folder) of the damaged copies kept of `file`. */
export function damagedCopies(file: string): string[] {
  const prefix = `${basename(file)}${SUFFIX}`;
  try {
    return readdirSync(dirname(file)).filter((f) => f.startsWith(prefix));
  } catch {
    return [];
  }
}
