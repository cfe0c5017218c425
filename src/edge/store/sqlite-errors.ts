/**
 * What a failed SQLite call means for the edge. better-sqlite3 throws `SqliteError` with SQLite's
 * extended code as `code`; a file system without space surfaces as SQLITE_FULL (the unix VFS
 * maps ENOSPC to it), the page limit the disk bound sets (`max_page_count`) as SQLITE_FULL too.
 */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** No room: the file system is full or the file reached the disk bound. Never a reason to exit. */
export function isDiskFull(err: unknown): boolean {
  const code = sqliteCode(err);
  if (code === 'SQLITE_FULL') return true;
  // Some write paths report the errno through an I/O error instead.
  return code?.startsWith('SQLITE_IOERR') === true && /ENOSPC|no space/i.test(String((err as Error).message));
}

/** The file is not a database, or its pages are damaged: it needs moving aside. */
export function isCorrupt(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT_') === true;
}
