import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';

const CHUNK = Buffer.alloc(64 * 1024);

/**
 * A file of real blocks (written, not sparse) that holds space for the moment the file system is
 * full: deleting it lets SQLite write the transaction that drops old readings and the checkpoint
 * that follows, which themselves need a little room. Written in 64 KiB pieces; a file that cannot
 * be written whole is removed again (a partial reserve would only pretend).
 */
export function createReserve(path: string, bytes: number): boolean {
  if (bytes <= 0 || existsSync(path)) return true;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'w');
    for (let written = 0; written < bytes; ) {
      const n = Math.min(CHUNK.length, bytes - written);
      written += writeSync(fd, CHUNK, 0, n);
    }
    closeSync(fd);
    return true;
  } catch {
    if (fd !== undefined) closeSync(fd);
    rmSync(path, { force: true });
    return false;
  }
}

/** Gives the reserve's space back; true when there was one. */
export function releaseReserve(path: string): boolean {
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
