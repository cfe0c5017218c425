import { describe, expect, it } from 'vitest';
import { device, property } from '../testing/context.js';
import { compileReader } from '../reader.js';
import { LineDeviceSim } from './line-device.js';
import { corruptChecksum } from './index.js';
import { parseNmea } from '../nmea.js';

const hmp = device(
  'hmp',
  'serial',
  { serialPort: '/x', framing: { type: 'delimiter', delimiter: '\r\n' }, mode: 'request' },
  [
    {
      ...property('temperature', 'FLOAT', { command: 'SEND\\r', pattern: "T=\\s*(-?\\d+(?:\\.\\d+)?)\\s*'C" }),
      minimum: -40,
      maximum: 180,
    },
    {
      ...property('humidity', 'FLOAT', { command: 'SEND\\r', pattern: 'RH=\\s*(\\d+(?:\\.\\d+)?)\\s*%RH' }),
      minimum: 0,
      maximum: 100,
    },
  ],
);

describe('LineDeviceSim', () => {
  it('answers a shared command with one line every pattern reads back, in range', () => {
    const sim = new LineDeviceSim(hmp);
    expect(sim.commands).toEqual(['SEND\r']);
    for (const n of [0, 7, 31]) {
      const answer = sim.answer('SEND\r', n);
      expect(answer.endsWith('\r\n')).toBe(true);
      for (const p of hmp.properties) {
        const e = compileReader(hmp.id, p).extract({ text: answer.slice(0, -2) });
        expect(e.carried && e.value !== null).toBe(true);
        const v = (e as { value: number }).value;
        expect(v).toBeGreaterThanOrEqual(p.minimum!);
        expect(v).toBeLessThanOrEqual(p.maximum!);
      }
    }
  });

  it('streams one line per property when their patterns would read each other', () => {
    const twins = device('t', 'serial', { serialPort: '/x' }, [
      property('a', 'INT', { pattern: 'V(\\d+)' }),
      property('b', 'INT', { pattern: 'V=?(\\d+)' }),
    ]);
    const lines = new LineDeviceSim(twins).stream(3);
    expect(lines).toHaveLength(2);
  });

  it('takes a writeCommand: the value written is answered from then on, with the writeAck answer', () => {
    const ctl = device('ctl', 'serial', { serialPort: '/x', mode: 'request' }, [
      {
        ...property('sp', 'FLOAT', {
          command: 'SP?\\r',
          pattern: 'SP=(\\d+(?:\\.\\d+)?)',
          writeCommand: 'SP {value}\\r',
          writeAck: '^OK',
        }),
        accessMode: 'ReadWrite' as const,
        minimum: 0,
        maximum: 100,
      },
      {
        ...property('on', 'BOOLEAN', { command: 'ON?\\r', pattern: 'ON=([01])', writeCommand: 'ON {value}\\r' }),
        accessMode: 'ReadWrite' as const,
      },
    ]);
    const sim = new LineDeviceSim(ctl);
    const [sp, on] = sim.writes;
    const m = sp!.re.exec('junkSP 42.5\rSP?\r')!;
    expect([m.index, m[1]]).toEqual([4, '42.5']);
    expect(sim.write(sp!, '42.5')).toBe('OK\r\n');
    expect(sim.answer('SP?\r', 9)).toBe('SP=42.5\r\n');
    expect(sim.write(on!, '1')).toBeUndefined();
    expect(sim.answer('ON?\r', 0)).toBe('ON=1\r\n');
    // A value the device cannot take: no answer, the old value stays.
    expect(sim.write(sp!, 'warm')).toBeUndefined();
    expect(sim.answer('SP?\r', 10)).toBe('SP=42.5\r\n');
  });

  it('refuses a writeCommand it cannot recognise (nothing after {value}), naming the property', () => {
    const bad = device('b', 'serial', { serialPort: '/x' }, [
      {
        ...property('sp', 'INT', { pattern: 'SP=(\\d+)', writeCommand: 'SP {value}' }),
        accessMode: 'ReadWrite' as const,
      },
    ]);
    expect(() => new LineDeviceSim(bad)).toThrow(
      /property sp: the simulator needs writeCommand with one \{value\} followed by something/,
    );
  });

  it('refuses framing it cannot produce, naming the device', () => {
    const regex = device('r', 'serial', { serialPort: '/x', framing: { type: 'regex', pattern: '<.*?>' } }, [
      property('a', 'INT', { pattern: '(\\d+)' }),
    ]);
    expect(() => new LineDeviceSim(regex)).toThrow(
      /simulated device default\/r: the simulator cannot produce regex framing/,
    );
  });

  it('corrupts a checksum so the framer rejects it', () => {
    const good = '$GPGGA,1,2*' + '00';
    expect(corruptChecksum(`${good}\r\n`)).toBe('$GPGGA,1,2*01\r\n');
    expect(parseNmea(corruptChecksum('$GPGSV,1*FF'))).toMatchObject({ ok: false, reason: 'checksum' });
  });
});
