import { existsSync, readdirSync } from 'node:fs';
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
