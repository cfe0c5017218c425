import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openSqlite, PAGE_SIZE, type Migration } from './index.js';

const errors = {
  openError: (file: string, cause: unknown) => new Error(`open ${file}: ${(cause as Error).message}`),
  migrationError: (version: number, cause: unknown) => new Error(`migration ${version}: ${(cause as Error).message}`),
};
const steps: Migration[] = [
  { version: 1, sql: 'CREATE TABLE a (x INTEGER);' },
  { version: 2, sql: 'CREATE TABLE b (y INTEGER);' },
];

describe('openSqlite', () => {
  it('creates the folder, uses WAL and runs each migration once', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kedge-sqlite-')), 'sub', 'x.db');
    const db = openSqlite(file, { migrations: steps, ...errors });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
    const again = openSqlite(file, {
      migrations: [...steps, { version: 3, sql: 'CREATE TABLE c (z INTEGER);' }],
      ...errors,
    });
    expect(again.pragma('user_version', { simple: true })).toBe(3);
    again.close();
  });

  it('creates new files with 16 KB pages and opens a file made with 4 KB pages as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-sqlite-'));
    const fresh = openSqlite(join(dir, 'new.db'), { migrations: steps, ...errors });
    expect(fresh.pragma('page_size', { simple: true })).toBe(PAGE_SIZE);
    fresh.close();
    const old = new Database(join(dir, 'old.db'));
    old.pragma('page_size = 4096');
    old.exec('CREATE TABLE legacy (x INTEGER); INSERT INTO legacy VALUES (7);');
    old.close();
    const reopened = openSqlite(join(dir, 'old.db'), { migrations: steps, ...errors });
    expect(reopened.pragma('page_size', { simple: true })).toBe(4096);
    expect(reopened.prepare('SELECT x FROM legacy').get()).toEqual({ x: 7 });
    expect(reopened.pragma('user_version', { simple: true })).toBe(2);
    reopened.close();
  });

  it('rolls a failing migration back whole and names its version', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kedge-sqlite-')), 'x.db');
    const bad: Migration[] = [...steps, { version: 3, sql: 'CREATE TABLE c (z INTEGER); CREATE TABLE a (x INTEGER);' }];
    expect(() => openSqlite(file, { migrations: bad, ...errors })).toThrow(/^migration 3: table a already exists/);
    const db = openSqlite(file, { migrations: steps, ...errors });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'c'").get()).toEqual({ n: 0 });
    db.close();
  });

  it("reports a file that cannot be opened with the owner's error", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-sqlite-'));
    writeFileSync(join(dir, 'plain-file'), 'x');
    expect(() => openSqlite(join(dir, 'plain-file', 'x.db'), { migrations: steps, ...errors })).toThrow(
      /^open .*plain-file\/x\.db/,
    );
  });
});
