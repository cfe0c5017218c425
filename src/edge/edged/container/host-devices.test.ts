import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EdgeDevice } from '../../../contracts/index.js';
import { hostDevicesFor } from './host-devices.js';

const dev = mkdtempSync(join(tmpdir(), 'kedge-dev-'));
afterAll(() => rmSync(dev, { recursive: true, force: true }));
for (const f of ['ttyUSB0', 'gpiochip0', 'gpiochip4']) writeFileSync(join(dev, f), '');
mkdirSync(join(dev, 'serial'));

const device = (protocol: string, protocolConfig: Record<string, unknown>): EdgeDevice => ({
  instance: { id: 'default/x', namespace: 'default', name: 'x', model: 'm', protocol, protocolConfig, properties: [] },
  annotations: {},
});

describe('host devices a mapper container gets', () => {
  it('serial ports of its protocols that exist, the named GPIO chip or every chip', () => {
    const devices = [
      device('serial', { serialPort: join(dev, 'ttyUSB0') }),
      device('modbus', { communicateMode: 'RTU', serialPort: join(dev, 'ttyUSB0') }),
      device('modbus', { communicateMode: 'RTU', serialPort: join(dev, 'ttyUSB9') }),
      device('gpio', { chip: 'gpiochip4' }),
      device('gpio', {}),
      device('opcua', { url: 'opc.tcp://x' }),
    ];
    expect(hostDevicesFor(devices, ['serial'], dev)).toEqual([join(dev, 'ttyUSB0')]);
    expect(hostDevicesFor(devices, ['modbus'], dev)).toEqual([join(dev, 'ttyUSB0')]); // ttyUSB9 is not there
    expect(hostDevicesFor(devices, ['gpio'], dev)).toEqual([join(dev, 'gpiochip0'), join(dev, 'gpiochip4')]);
    expect(hostDevicesFor(devices.slice(3, 4), ['gpio'], dev)).toEqual([join(dev, 'gpiochip4')]);
    expect(hostDevicesFor(devices, ['opcua'], dev)).toEqual([]);
  });
});
