import { accessSync, constants, existsSync, type FSWatcher, watch } from 'node:fs';
import { access, type FileHandle, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Edge, GpioBackend, GpioLine, Level, LineOptions, WatchCallback } from './backend.js';
import { edgeMatches } from './backend.js';
import { gpioErrors } from './errors.js';
import { listSysfsChips, SYSFS_GPIO, sysfsLineNumber } from './sysfs-chips.js';

export interface SysfsBackendOptions {
  /** How long to wait after `export` for the kernel to create gpioN and udev to open it to group gpio. */
  exportWaitMs?: number;
}

/**
 * The real GPIO, in plain JavaScript over the Linux sysfs interface (/sys/class/gpio), so that
 * installing kedge needs no compiler (onoff needs epoll, a native module). Edges come from inotify
 * (fs.watch) on the pin's `value` file: for a pin with an `edge` set, the kernel's GPIO interrupt
 * calls sysfs_notify on that file, which wakes poll() (what onoff's epoll waits for) and also
 * raises an inotify modify event (kernfs_notify), so no polling is needed.
 *
 * Without a `chip`, pin numbers are sysfs (global) numbers; with one, the pin is the line offset
 * in that chip (sysfs-chips.ts). `activeLow` is the kernel's own active_low, written before the
 * direction and edge, so values and edges are logical.
 */
export function createSysfsBackend(root = SYSFS_GPIO, options: SysfsBackendOptions = {}): GpioBackend {
  const waitMs = options.exportWaitMs ?? 2000;
  return {
    name: 'sysfs',
    accessible: isAccessible(root),
    open: (offset, o) => openLine(root, offset, o, waitMs),
    dispose: async () => undefined,
  };
}

/** Like onoff's Gpio.accessible: a writable `export` file means this machine has usable GPIO. */
function isAccessible(root: string): boolean {
  try {
    accessSync(join(root, 'export'), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function openLine(root: string, offset: number, o: LineOptions, waitMs: number): Promise<GpioLine> {
  const pin = o.chip === undefined ? offset : sysfsLineNumber(o.chip, offset, listSysfsChips(root));
  const dir = join(root, `gpio${pin}`);
  let handle: FileHandle;
  try {
    if (!existsSync(dir)) await writeFile(join(root, 'export'), String(pin));
    await waitWritable(join(dir, 'direction'), waitMs);
    await writeFile(join(dir, 'active_low'), o.activeLow ? '1' : '0');
    await configureDirection(dir, o);
    if (o.direction === 'in') await writeFile(join(dir, 'edge'), o.edge);
    handle = await open(join(dir, 'value'), o.direction === 'out' ? 'r+' : 'r');
  } catch (err) {
    throw gpioErrors.create('KEDGE_GPIO_OPEN_FAILED', `cannot open GPIO ${pin} (${o.direction}): ${ioMessage(err)}`, {
      cause: err,
    });
  }
  return new SysfsLine(root, pin, dir, handle, o.edge);
}

/**
 * An output that is already an output keeps its level (a mapper restart must not drop a relay);
 * a new output starts at logical 0: `low`, or `high` when active low, since the kernel's direction
 * values are physical levels.
 */
async function configureDirection(dir: string, o: LineOptions): Promise<void> {
  const current = (await readFile(join(dir, 'direction'), 'utf8')).trim();
  if (o.direction === 'in') {
    if (current !== 'in') await writeFile(join(dir, 'direction'), 'in');
    return;
  }
  if (current !== 'out') await writeFile(join(dir, 'direction'), o.activeLow ? 'high' : 'low');
}

async function waitWritable(path: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await access(path, constants.R_OK | constants.W_OK);
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function ioMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code} (${e.path ?? ''}): ${e.message}` : String(err);
}

class SysfsLine implements GpioLine {
  private watcher: FSWatcher | undefined;
  private last: Level | undefined;
  private readonly buf = Buffer.alloc(2);

  constructor(
    private readonly root: string,
    private readonly pin: number,
    private readonly dir: string,
    private readonly handle: FileHandle,
    private readonly edge: Edge,
  ) {}

  async read(): Promise<Level> {
    const { bytesRead } = await this.handle.read(this.buf, 0, 1, 0);
    if (bytesRead !== 1) throw gpioErrors.create('KEDGE_GPIO_IO', `GPIO ${this.pin}: empty read of ${this.dir}/value`);
    return this.buf[0] === 0x31 ? 1 : 0;
  }

  async write(value: Level): Promise<void> {
    await this.handle.write(value ? '1' : '0', 0);
  }

  watch(cb: WatchCallback): void {
    if (this.edge === 'none') return;
    this.unwatch();
    void this.read().then(
      (v) => {
        this.last ??= v;
      },
      () => undefined,
    );
    let reading = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const now = await this.read();
          const before = this.last ?? (now === 1 ? 0 : 1);
          this.last = now;
          if (edgeMatches(this.edge, before, now)) cb(null, now);
        } while (again);
      } catch (err) {
        cb(err as Error, this.last ?? 0);
      } finally {
        reading = false;
      }
    };
    this.watcher = watch(join(this.dir, 'value'), { persistent: false }, () => void check());
    this.watcher.on('error', (err) => cb(err, this.last ?? 0));
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  async close(): Promise<void> {
    this.unwatch();
    await this.handle.close();
    await writeFile(join(this.root, 'unexport'), String(this.pin)).catch(() => undefined);
  }
}
