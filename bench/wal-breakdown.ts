/**
 * Where the WAL's bytes go: reads a copy of an SQLite file and its WAL, and counts the WAL's
 * frames of the current generation by the table or index owning each page (SQLite's dbstat)
 * and per commit. Used by bench/edge-disk.bench.ts (--wal-breakdown) and on its own:
 *
 *   npx tsx bench/wal-breakdown.ts <edge.db>
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface WalBreakdown {
  pageSize: number;
  frames: number;
  commits: number;
  /** Frames per owner (table or index name; `freelist/new` for pages not in any b-tree now). */
  byOwner: Array<[string, number]>;
}

/** Where the WAL is now: its generation (salt) and frame count, to count only later frames. */
export interface WalMark {
  salt1: number;
  frames: number;
}

export function walMark(dbFile: string): WalMark | undefined {
  if (!existsSync(`${dbFile}-wal`)) return undefined;
  const b = walBreakdown(dbFile);
  return b.mark;
}

export function walBreakdown(dbFile: string, since?: WalMark): WalBreakdown & { mark: WalMark; since: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-wal-'));
  try {
    // The WAL first: it is the part that changes; a frame appended after the copy is not counted.
    const wal = existsSync(`${dbFile}-wal`) ? readFileSync(`${dbFile}-wal`) : Buffer.alloc(0);
    copyFileSync(dbFile, join(dir, 'db'));
    const owners = new Map<number, string>();
    const frames: number[] = [];
    let commits = 0;
    let pageSize = 0;
    let salt1 = 0;
    let total = 0;
    let counted = false;
    if (wal.length >= 32) {
      pageSize = wal.readUInt32BE(8);
      salt1 = wal.readUInt32BE(16);
      const salt2 = wal.readUInt32BE(20);
      const from = since && since.salt1 === salt1 ? since.frames : 0;
      counted = from > 0;
      let n = 0;
      for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize, n++) {
        if (wal.readUInt32BE(off + 8) !== salt1 || wal.readUInt32BE(off + 12) !== salt2) break;
        if (n < from) continue;
        frames.push(wal.readUInt32BE(off));
        if (wal.readUInt32BE(off + 4) !== 0) commits++;
      }
      total = n;
    }
    // Opened with its WAL, the copy shows the pages as the WAL left them.
    if (wal.length > 0) writeFileSync(join(dir, 'db-wal'), wal);
    const db = new Database(join(dir, 'db'));
    for (const row of db.prepare('SELECT name, pageno FROM dbstat').all() as Array<{ name: string; pageno: number }>)
      owners.set(row.pageno, row.name);
    db.close();
    const counts = new Map<string, number>();
    for (const page of frames) {
      const owner = page === 1 ? 'page 1 (header, schema)' : (owners.get(page) ?? 'freelist/new');
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    return {
      mark: { salt1, frames: total },
      since: counted,
      pageSize,
      frames: frames.length,
      commits,
      byOwner: [...counts].sort((a, b) => b[1] - a[1]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBreakdown(b: WalBreakdown & { since?: boolean }): string {
  const lines = [
    `WAL${b.since ? ' (frames since the mark)' : ' (its current generation)'}: ${b.frames} frames of ${b.pageSize} B in ${b.commits} commits (${(b.frames / Math.max(1, b.commits)).toFixed(1)} pages per commit)`,
  ];
  for (const [owner, n] of b.byOwner) lines.push(`  ${owner.padEnd(32)} ${n} (${((n / b.frames) * 100).toFixed(1)} %)`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npx tsx bench/wal-breakdown.ts <edge.db>');
  process.stdout.write(`${formatBreakdown(walBreakdown(file))}\n`);
}
