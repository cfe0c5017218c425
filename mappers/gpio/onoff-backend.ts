import { gpioErrors } from './errors.js';
import type { GpioBackend, GpioLine, Level, LineOptions } from './backend.js';

/**
 * The real GPIO: the `onoff` package (Linux sysfs /sys/class/gpio). Imported lazily, so machines
 * without GPIO never load it unless a gpio device is served. Pin numbers are the sysfs (global)
 * numbers; on a Raspberry Pi with older kernels these are the BCM numbers.
 */
export async function createOnoffBackend(): Promise<GpioBackend> {
  const { Gpio } = await import('onoff');
  return {
    name: 'onoff',
    accessible: Gpio.accessible,
    async open(pin: number, o: LineOptions): Promise<GpioLine> {
      let gpio: InstanceType<typeof Gpio>;
      try {
        gpio = new Gpio(pin, o.direction, o.direction === 'in' ? o.edge : 'none', { activeLow: o.activeLow });
      } catch (err) {
        throw gpioErrors.create('KEDGE_GPIO_OPEN_FAILED', `cannot open GPIO ${pin} (${o.direction}): ${(err as Error).message}`, { cause: err });
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
