import { type FSWatcher, watch } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Level } from './backend.js';
import { createSysfsBackend } from './sysfs-backend.js';

/**
 * A /sys/class/gpio in a temp dir, with a stand-in for the kernel's side of `export`: writing a
 * number there creates gpio<N> with the files the kernel makes (direction in, edge none, value 0).
 * A pin's edge is simulated by writing its value file, which raises the same inotify event the
 * kernel's sysfs_notify does on real hardware (this machine has none).
 */
class FakeSysfs {
  private watcher: FSWatcher | undefined;
  exported: number[] = [];
  constructor(readonly root: string) {}

  async start(exportWorks = true): Promise<void> {
    await mkdir(join(this.root, 'gpiochip512'), { recursive: true });
    await writeFile(join(this.root, 'gpiochip512', 'label'), 'pinctrl-bcm2711\n');
    await writeFile(join(this.root, 'gpiochip512', 'base'), '512\n');
    await writeFile(join(this.root, 'gpiochip512', 'ngpio'), '58\n');
    await writeFile(join(this.root, 'export'), '');
    await writeFile(join(this.root, 'unexport'), '');
    if (!exportWorks) return;
    this.watcher = watch(join(this.root, 'export'), async () => {
      const n = Number((await readFile(join(this.root, 'export'), 'utf8')).trim());
      if (!Number.isInteger(n) || this.exported.includes(n)) return;
      this.exported.push(n);
      await this.pin(n, { direction: 'in', value: '0' });
    });
  }

  async pin(n: number, files: { direction: string; value: string }): Promise<void> {
    const dir = join(this.root, `gpio${n}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'active_low'), '0\n');
    await writeFile(join(dir, 'edge'), 'none\n');
    await writeFile(join(dir, 'value'), `${files.value}\n`);
    await writeFile(join(dir, 'direction'), `${files.direction}\n`);
  }

  file = async (n: number, f: string) => (await readFile(join(this.root, `gpio${n}`, f), 'utf8')).trim();
  /** Like the kernel's value file, never empty: the new level is written over the old in place. */
  async set(n: number, v: Level): Promise<void> {
    const f = await open(join(this.root, `gpio${n}`, 'value'), 'r+');
    await f.write(`${v}\n`, 0);
    await f.close();
  }
  stop = () => this.watcher?.close();
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met within 3 s');
}

describe('sysfs GPIO backend (plain JS, no native module)', () => {
  let sys: FakeSysfs;
  beforeEach(async () => {
    sys = new FakeSysfs(await mkdtemp(join(tmpdir(), 'kedge-gpio-sysfs-')));
    await sys.start();
  });
  afterEach(async () => {
    sys.stop();
    await rm(sys.root, { recursive: true, force: true });
  });

  it('exports an input, sets active_low before edge, reads it, reports its edges from inotify', async () => {
    const backend = createSysfsBackend(sys.root);
    expect(backend.accessible).toBe(true);
    const line = await backend.open(17, { direction: 'in', edge: 'both', activeLow: true });
    expect(sys.exported).toEqual([17]);
    expect(await sys.file(17, 'active_low')).toBe('1');
    expect(await sys.file(17, 'edge')).toBe('both');
    expect(await sys.file(17, 'direction')).toBe('in');
    expect(await line.read()).toBe(0);
    const seen: Level[] = [];
    line.watch((err, v) => {
      expect(err).toBeNull();
      seen.push(v);
    });
    await new Promise((r) => setTimeout(r, 50));
    await sys.set(17, 1);
    await until(() => seen.length === 1);
    await sys.set(17, 0);
    await until(() => seen.length === 2);
    expect(seen).toEqual([1, 0]);
    line.unwatch();
    await sys.set(17, 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([1, 0]);
    await line.close();
    expect((await readFile(join(sys.root, 'unexport'), 'utf8')).trim()).toBe('17');
  });

  it('a rising-edge input reports only rising edges', async () => {
    const line = await createSysfsBackend(sys.root).open(4, { direction: 'in', edge: 'rising', activeLow: false });
    const seen: Level[] = [];
    line.watch((_err, v) => seen.push(v));
    await new Promise((r) => setTimeout(r, 50));
    for (const v of [1, 0, 1] as Level[]) {
      await sys.set(4, v);
      await new Promise((r) => setTimeout(r, 60));
    }
    await until(() => seen.length === 2);
    expect(seen).toEqual([1, 1]);
    await line.close();
  });

  it('a new output starts at logical 0 (physical high when active low) and is written', async () => {
    const backend = createSysfsBackend(sys.root);
    const relay = await backend.open(26, { direction: 'out', edge: 'none', activeLow: true });
    expect(await sys.file(26, 'direction')).toBe('high');
    const led = await backend.open(5, { direction: 'out', edge: 'none', activeLow: false });
    expect(await sys.file(5, 'direction')).toBe('low');
    await led.write(1);
    expect(await sys.file(5, 'value')).toBe('1');
    await led.write(0);
    expect(await sys.file(5, 'value')).toBe('0');
    await relay.close();
    await led.close();
  });

  it('an output that is already exported as out keeps its level (a mapper restart must not drop a relay)', async () => {
    await sys.pin(6, { direction: 'out', value: '1' });
    const line = await createSysfsBackend(sys.root).open(6, { direction: 'out', edge: 'none', activeLow: false });
    expect(sys.exported).toEqual([]);
    expect(await sys.file(6, 'direction')).toBe('out');
    expect(await line.read()).toBe(1);
    await line.close();
  });

  it('a chip makes the pin a line offset of that chip', async () => {
    const line = await createSysfsBackend(sys.root).open(17, {
      direction: 'in',
      edge: 'none',
      activeLow: false,
      chip: 'pinctrl-bcm2711',
    });
    expect(sys.exported).toEqual([529]);
    await line.close();
    await expect(
      createSysfsBackend(sys.root).open(1, { direction: 'in', edge: 'none', activeLow: false, chip: 'gpiochip9' }),
    ).rejects.toMatchObject({ code: 'KEDGE_GPIO_NO_CHIP' });
  });

  it('an export the kernel never completes fails with KEDGE_GPIO_OPEN_FAILED naming the pin', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kedge-gpio-sysfs-'));
    const dead = new FakeSysfs(root);
    await dead.start(false);
    try {
      const backend = createSysfsBackend(root, { exportWaitMs: 100 });
      await expect(backend.open(22, { direction: 'in', edge: 'none', activeLow: false })).rejects.toMatchObject({
        code: 'KEDGE_GPIO_OPEN_FAILED',
        message: expect.stringMatching(/cannot open GPIO 22 \(in\): ENOENT/),
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('is not accessible where there is no writable export file', () => {
    expect(createSysfsBackend(join(sys.root, 'nothing-here')).accessible).toBe(false);
  });
});
