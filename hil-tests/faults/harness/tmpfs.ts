import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small tmpfs mounted for one test (root is required: CI runs as root; elsewhere run the fault
 * suite with sudo). A test that cannot mount fails with the reason, it does not skip.
 */
export class Tmpfs {
  private constructor(readonly path: string) {}

  static mount(sizeBytes: number): Tmpfs {
    const path = mkdtempSync(join(tmpdir(), 'kedge-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', path], { stdio: 'pipe' });
    } catch (err) {
      rmSync(path, { recursive: true, force: true });
      const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
      throw new Error(`cannot mount a ${sizeBytes}-byte tmpfs (the disk-full tests need root): ${why}`);
    }
    return new Tmpfs(path);
  }

  unmount(): void {
    for (const args of [[this.path], ['-l', this.path]]) {
      try {
        execFileSync('umount', args, { stdio: 'pipe' });
        break;
      } catch {
        // busy: the lazy unmount follows
      }
    }
    rmSync(this.path, { recursive: true, force: true });
  }
}
