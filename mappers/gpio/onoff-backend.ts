import { gpioErrors } from './errors.js';
import type { GpioBackend, GpioLine, Level, LineOptions } from './backend.js';
import { listSysfsChips, SYSFS_GPIO, sysfsLineNumber } from './sysfs-chips.js';

/**
 * The real GPIO: the `onoff` package (Linux sysfs /sys/class/gpio). Imported lazily, so machines
 * without GPIO never load it unless a gpio device is served. Without a `chip`, pin numbers are the
 * sysfs (global) numbers (the BCM numbers on a Raspberry Pi with a kernel before 6.6); with one,
 * the pin is the line offset in that chip (sysfs-chips.ts).
 */
export async function createOnoffBackend(sysfsRoot = SYSFS_GPIO): Promise<GpioBackend> {
  const { Gpio } = await import('onoff');
  return {
    name: 'onoff',
    accessible: Gpio.accessible,
    async open(offset: number, o: LineOptions): Promise<GpioLine> {
      const pin = o.chip === undefined ? offset : sysfsLineNumber(o.chip, offset, listSysfsChips(sysfsRoot));
      let gpio: InstanceType<typeof Gpio>;
      try {
        gpio = new Gpio(pin, o.direction, o.direction === 'in' ? o.edge : 'none', { activeLow: o.activeLow });
      } catch (err) {
        throw gpioErrors.create(
          'KEDGE_GPIO_OPEN_FAILED',
          `cannot open GPIO ${pin} (${o.direction}): ${(err as Error).message}`,
          { cause: err },
        );
      }
      let watcher: ((err: Error | null | undefined, value: 0 | 1) => void) | undefined;
      return {
        read: () => gpio.read() as Promise<Level>,
        write: (v) => gpio.write(v),
        watch(cb) {
          watcher = (err, value) => cb(err ?? null, value as Level);
          gpio.watch(watcher);
        },
        unwatch() {
          if (watcher) gpio.unwatch(watcher);
          watcher = undefined;
        },
        close: async () => {
          gpio.unwatchAll();
          gpio.unexport();
        },
      };
    },
    dispose: async () => undefined,
  };
}
