import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gpioErrors } from './errors.js';

/** One GPIO controller as the sysfs interface shows it (`/sys/class/gpio/gpiochip<base>`). */
export interface SysfsChip {
  /** The sysfs directory name, `gpiochip<base>`. */
  dir: string;
  /** The character-device name (`gpiochip0`, what `gpiodetect` lists), when the kernel links it. */
  device: string | undefined;
  label: string;
  base: number;
  ngpio: number;
}

export const SYSFS_GPIO = '/sys/class/gpio';

export function listSysfsChips(root = SYSFS_GPIO): SysfsChip[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^gpiochip\d+$/.test(n));
  } catch {
    return [];
  }
  const chips: SysfsChip[] = [];
  for (const dir of names) {
    const read = (f: string) => readFileSync(join(root, dir, f), 'utf8').trim();
    try {
      chips.push({
        dir,
        device: deviceName(join(root, dir)),
        label: read('label'),
        base: Number(read('base')),
        ngpio: Number(read('ngpio')),
      });
    } catch {
      // A chip going away while we look: skip it.
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

function deviceName(chipDir: string): string | undefined {
  try {
    const name = basename(readlinkSync(join(chipDir, 'device')));
    return /^gpiochip\d+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The sysfs (global) number of line `offset` of `chip`. `chip` is the character-device name or
 * index (`gpiochip0`, `0`: what gpiodetect shows and what stays the same across kernels), else
 * the sysfs directory name (`gpiochip512`), else the label (`pinctrl-bcm2711`). Why it matters:
 * since Linux 6.6 the Raspberry Pi's main chip starts at 512 in sysfs, so BCM 17 is GPIO 529
 * there and 17 on older kernels; with `chip: gpiochip0` the same YAML works on both.
 */
export function sysfsLineNumber(chip: string | number, offset: number, chips: SysfsChip[]): number {
  const want = typeof chip === 'number' || /^\d+$/.test(chip) ? `gpiochip${chip}` : chip;
  const found =
    chips.find((c) => c.device === want) ?? chips.find((c) => c.dir === want) ?? chips.find((c) => c.label === want);
  if (!found) {
    const known =
      chips.map((c) => `${c.device ?? c.dir} (${c.label}, sysfs ${c.dir}, ${c.ngpio} lines)`).join(', ') || 'none';
    throw gpioErrors.create('KEDGE_GPIO_NO_CHIP', `GPIO chip ${chip} not found; this machine has: ${known}`);
  }
  if (offset >= found.ngpio) {
    throw gpioErrors.create(
      'KEDGE_GPIO_NO_CHIP',
      `GPIO chip ${chip} (${found.label}) has lines 0..${found.ngpio - 1}; pin ${offset} is not one of them`,
    );
  }
  return found.base + offset;
}
