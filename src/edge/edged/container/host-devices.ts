import { existsSync, readdirSync, realpathSync } from 'node:fs';
import type { EdgeDevice } from '../../../contracts/index.js';

/**
 * The host devices a mapper container needs for these devices: each serial port (serial, Modbus
 * RTU) and each GPIO chip (the one a device names, else every `/dev/gpiochip*`). Only paths that
 * exist are passed: a missing one would keep the whole container from starting, while the mapper
 * itself reports just that device offline, naming the port.
 */
export function hostDevicesFor(devices: EdgeDevice[], protocols: string[], dev = '/dev'): string[] {
  const out = new Set<string>();
  for (const d of devices) {
    const { protocol, protocolConfig } = d.instance;
    if (!protocols.includes(protocol)) continue;
    const port = protocolConfig['serialPort'];
    if (typeof port === 'string' && port.startsWith('/')) out.add(port);
    if (protocol === 'gpio') {
      const chip = protocolConfig['chip'];
      const named = typeof chip === 'string' && /^gpiochip\d+$/.test(chip) ? [chip] : gpioChips(dev);
      for (const c of named) out.add(`${dev}/${c}`);
    }
  }
  return [...out].filter((p) => existsSync(p)).sort();
}

function gpioChips(dev: string): string[] {
  try {
    return readdirSync(dev).filter((n) => /^gpiochip\d+$/.test(n));
  } catch {
    return [];
  }
}

/**
 * How a host device gets into a container. A real device (ttyUSB0, gpiochip0) is passed as a
 * device. A pseudo-terminal (socat's virtual serial ports, `/dev/pts/N`) cannot be: a device node
 * made in the container's own /dev/pts instance does not reach the host's pty (EIO), so it is
 * bind-mounted (the container's default device rules allow ptys).
 */
export function deviceMount(
  hostPath: string,
  containerPath: string,
):
  | { device: { hostPath: string; containerPath: string } }
  | { bind: { hostPath: string; containerPath: string; readOnly: false } } {
  let real = hostPath;
  try {
    real = realpathSync(hostPath);
  } catch {
    // missing: passed as given, the engine names it
  }
  return real.startsWith('/dev/pts/')
    ? { bind: { hostPath: real, containerPath, readOnly: false } }
    : { device: { hostPath, containerPath } };
}
