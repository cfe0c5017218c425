import { lstatSync, readdirSync, statfsSync } from 'node:fs';
import { basename, join } from 'node:path';

/** What the edge keeps in its data dir, by part, in bytes (allocated size, as the disk sees it). */
export interface DiskParts {
  /** `edge.db` */
  db: number;
  /** `edge.db-wal` and `edge.db-shm` */
  wal: number;
  /** `logs/` (mapper logs) */
  logs: number;
  /** The reserve file. */
  reserve: number;
  /** Everything else: mapper state and buffers, a damaged store moved aside. */
  other: number;
}

export const RESERVE_FILE = 'disk-reserve';

/** Bytes a file takes on disk: its blocks, not its length (a sparse or preallocated file differs). */
function onDisk(path: string): number {
  try {
    const st = lstatSync(path);
    return st.isFile() || st.isDirectory() ? st.blocks * 512 : 0;
  } catch {
    return 0;
  }
}

/** Everything under `dir` (files and folders themselves), 0 when it does not exist. */
export function treeBytes(dir: string): number {
  let total = onDisk(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return total;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      total += lstatSync(path).isDirectory() ? treeBytes(path) : onDisk(path);
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

/** Measures the data dir by part (a few stat calls per file; the folder holds a handful). */
export function measureDataDir(dataDir: string, dbFile: string): DiskParts {
  const db = onDisk(dbFile);
  const wal = onDisk(`${dbFile}-wal`) + onDisk(`${dbFile}-shm`);
  const logs = treeBytes(join(dataDir, 'logs'));
  const reserve = onDisk(join(dataDir, RESERVE_FILE));
  const known = new Set([basename(dbFile), `${basename(dbFile)}-wal`, `${basename(dbFile)}-shm`, 'logs', RESERVE_FILE]);
  let other = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dataDir);
  } catch {
    // not there yet
  }
  for (const name of names) if (!known.has(name)) other += treeBytes(join(dataDir, name));
  return { db, wal, logs, reserve, other };
}

export function totalOf(parts: DiskParts): number {
  return parts.db + parts.wal + parts.logs + parts.reserve + parts.other;
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`; undefined if unknown. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
