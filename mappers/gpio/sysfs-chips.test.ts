import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSysfsChips, sysfsLineNumber } from './sysfs-chips.js';

/** A /sys/class/gpio as a Raspberry Pi 4 with Linux 6.6 shows it (files and links as the kernel has them). */
async function fakeSysfs(root: string): Promise<void> {
  const chip = async (dir: string, label: string, base: number, ngpio: number, device?: string) => {
    await mkdir(join(root, 'class', dir), { recursive: true });
    await writeFile(join(root, 'class', dir, 'label'), `${label}\n`);
    await writeFile(join(root, 'class', dir, 'base'), `${base}\n`);
    await writeFile(join(root, 'class', dir, 'ngpio'), `${ngpio}\n`);
    if (device) {
      await mkdir(join(root, 'devices', device), { recursive: true });
      await symlink(join('..', '..', 'devices', device), join(root, 'class', dir, 'device'));
    }
  };
  await chip('gpiochip512', 'pinctrl-bcm2711', 512, 58, 'gpiochip0');
  await chip('gpiochip570', 'raspberrypi-exp-gpio', 570, 8, 'gpiochip1');
  await chip('gpiochip600', 'no-device-link', 600, 4);
  await writeFile(join(root, 'class', 'export'), '');
}

describe('GPIO chips in sysfs', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'kedge-sysfs-'));
    await fakeSysfs(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lists the chips with their device name, label, base and line count', () => {
    expect(listSysfsChips(join(root, 'class'))).toEqual([
      { dir: 'gpiochip512', device: 'gpiochip0', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
      { dir: 'gpiochip570', device: 'gpiochip1', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
      { dir: 'gpiochip600', device: undefined, label: 'no-device-link', base: 600, ngpio: 4 },
    ]);
    expect(listSysfsChips(join(root, 'nothing-here'))).toEqual([]);
  });

  it('turns chip + line offset into the sysfs number by device name, number, sysfs name or label', () => {
    const chips = listSysfsChips(join(root, 'class'));
    expect(sysfsLineNumber('gpiochip0', 17, chips)).toBe(529);
    expect(sysfsLineNumber(0, 17, chips)).toBe(529);
    expect(sysfsLineNumber('1', 2, chips)).toBe(572);
    expect(sysfsLineNumber('gpiochip570', 2, chips)).toBe(572);
    expect(sysfsLineNumber('raspberrypi-exp-gpio', 7, chips)).toBe(577);
    expect(sysfsLineNumber('gpiochip600', 3, chips)).toBe(603);
  });

  it('names the chips there are when the chip is unknown, and the lines when the pin is past them', () => {
    const chips = listSysfsChips(join(root, 'class'));
    expect(() => sysfsLineNumber('gpiochip4', 1, chips)).toThrow(
      /GPIO chip gpiochip4 not found; this machine has: gpiochip0 \(pinctrl-bcm2711, sysfs gpiochip512, 58 lines\), gpiochip1/,
    );
    expect(() => sysfsLineNumber('gpiochip1', 8, chips)).toThrow(/has lines 0..7; pin 8 is not one of them/);
    expect(() => sysfsLineNumber(0, 1, [])).toThrow(/this machine has: none/);
  });
});
