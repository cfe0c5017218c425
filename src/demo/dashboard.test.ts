import { describe, expect, it } from 'vitest';
import { Dashboard } from './dashboard.js';
import { formatValue, renderFrame, type FrameOptions } from './dashboard-view.js';
import type { DemoDevice } from './devices.js';

const device = (id: string, protocol: DemoDevice['protocol'], names: string[], unit?: string): DemoDevice => ({
  kind: 'io',
  protocol,
  id,
  file: `${id}.yaml`,
  properties: names.map((name) => ({ name, type: 'FLOAT', writable: false, ...(unit ? { unit } : {}) })),
  writable: [],
  first: [],
});

const io = device(
  'default/io-1',
  'modbus',
  Array.from({ length: 40 }, (_, i) => `relay-${i}`),
);
const meter = device('default/meter-1', 'modbus', ['voltage', 'current', 'frequency'], 'V');
const ua = device('default/ua-1', 'opcua', ['temperature', 'humidity']);
const telemetry = (id: string, readings: Array<Record<string, unknown>>) => ({
  namespace: 'default',
  device: id.split('/')[1]!,
  node: 'edge-1',
  readings: readings.map((r) => ({ quality: 'good', ts: 1, ...r })) as never,
});
const options = (over: Partial<FrameOptions> = {}): FrameOptions => ({
  cols: 80,
  rows: 24,
  now: 100_000,
  title: 'kedge demo',
  footer: ['try:', '  kedge twin set default/io-1 relay-2=true --wait', 'consumers: mosquitto_sub ...'],
  ...over,
});

describe('the demo screen', () => {
  it('fits 80x24: every device with its state, its properties grouped under it, "N more" when cut, the footer at the bottom', () => {
    const d = new Dashboard([io, meter, ua]);
    d.telemetry(
      telemetry(
        io.id,
        io.properties.map((p, i) => ({ property: p.name, value: i % 2 === 0 })),
      ),
      1,
    );
    d.telemetry(telemetry(meter.id, [{ property: 'voltage', value: 230.123456, unit: 'V' }]), 1);
    d.status({ namespace: 'default', device: 'io-1', state: 'online' });
    d.status({ namespace: 'default', device: 'meter-1', state: 'offline', reason: 'Modbus timeout after 1000 ms' });
    const lines = renderFrame(d, options());
    expect(lines).toHaveLength(24);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines[0]).toBe('kedge demo');
    expect(lines.slice(-3)).toEqual(options().footer);
    const text = lines.join('\n');
    expect(text).toContain('io-1 · modbus · online');
    expect(text).toContain('meter-1 · modbus · offline: Modbus timeout after 1000 ms');
    expect(text).toMatch(/voltage\s+230\.1 V/);
    expect(text).toMatch(/current\s+…/); // no reading yet
    expect(text).toMatch(/\d+ more/);
    // Grouped: the io's rows come between its header and the meter's.
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('relay-0')).toBeGreaterThan(at('io-1 ·'));
    expect(at('relay-0')).toBeLessThan(at('meter-1 ·'));
    // A device with nothing yet says so.
    expect(lines[at('ua-1 ·') + 1]).toBe('  waiting for the first telemetry...');
  });

  it('shows more of every device on a taller or wider terminal, and less, still within it, on a small one', () => {
    const d = new Dashboard([io, meter]);
    d.telemetry(
      telemetry(
        io.id,
        io.properties.map((p) => ({ property: p.name, value: false })),
      ),
      1,
    );
    const shown = (o: Partial<FrameOptions>) =>
      renderFrame(d, options(o)).filter((l) => /relay-\d+\s+false/.test(l)).length;
    expect(shown({ rows: 40 })).toBeGreaterThan(shown({ rows: 24 }));
    const small = renderFrame(d, options({ rows: 10, cols: 50 }));
    expect(small).toHaveLength(10);
    for (const l of small) expect(l.length).toBeLessThanOrEqual(50);
    const wide = renderFrame(d, options({ cols: 132 }));
    expect(wide.find((l) => l.includes('relay-0'))!.match(/relay-\d+/g)!.length).toBe(3);
  });

  it('a desired value: pending, then confirmed by the device, from the old value to the new, with the time it took', () => {
    const relays = { ...io, properties: [{ name: 'relay-2', type: 'BOOLEAN', writable: true }] };
    const d = new Dashboard([relays]);
    d.telemetry(telemetry(io.id, [{ property: 'relay-2', value: false }]), 1000);
    d.twin({ id: io.id, properties: { 'relay-2': { desired: { value: 'false', ts: 0 }, pending: false } } }, 1000);
    d.twin({ id: io.id, properties: { 'relay-2': { desired: { value: 'true', ts: 2000 }, pending: true } } }, 2100);
    let text = renderFrame(d, options({ now: 2500 })).join('\n');
    expect(text).toMatch(/relay-2\s+false→true pending/);
    expect(text).toContain('▸ relay-2: desired true, written, waiting for the device to confirm (0.4 s)');
    d.telemetry(telemetry(io.id, [{ property: 'relay-2', value: true }]), 2600);
    d.twin({ id: io.id, properties: { 'relay-2': { desired: { value: 'true', ts: 2000 }, pending: false } } }, 2700);
    text = renderFrame(d, options({ now: 3000 })).join('\n');
    expect(text).toMatch(/relay-2\s+false→true ✓/);
    expect(text).toContain('✓ relay-2: false → true, confirmed by the device 0.7 s after it was set');
    // A write the screen never saw pending (the device confirmed it between two twin messages).
    d.twin({ id: io.id, properties: { 'relay-2': { desired: { value: 'false', ts: 3500 }, pending: false } } }, 3900);
    expect(renderFrame(d, options({ now: 4000 })).join('\n')).toContain(
      '✓ relay-2: true → false, confirmed by the device 0.4 s after it was set',
    );
    // Later, only the value.
    d.telemetry(telemetry(io.id, [{ property: 'relay-2', value: false }]), 4000);
    expect(renderFrame(d, options({ now: 60_000 })).join('\n')).toMatch(/relay-2\s+false\n/);
  });

  it('cleansing at work: a rejected spike is noted with its reason and the value kept', () => {
    const d = new Dashboard([meter]);
    d.telemetry(telemetry(meter.id, [{ property: 'voltage', value: 230.4, unit: 'V' }]), 1000);
    d.telemetry(
      telemetry(meter.id, [
        {
          property: 'voltage',
          value: 230.4,
          unit: 'V',
          quality: 'uncertain',
          reason: 'holding last good value: spike: 288 is 57.60000000000002 from the last good 230.4 (maxStep 20)',
        },
      ]),
      2000,
    );
    const text = renderFrame(d, options({ now: 4000 })).join('\n');
    expect(text).toMatch(/voltage\s+230\.4 V held/);
    // The note fits: the time it happened is left out when the reason takes the line.
    expect(text.split('\n')).toContain('  ! voltage held: spike: 288 is 57.6 from the last good 230.4 (maxStep 20)');
  });
});

describe('formatValue', () => {
  it('rounds as a person reads values', () => {
    expect([230.123456, 49.98765, 0.953241, 1234.5678, 98302.5, 12, -3.14158].map(formatValue)).toEqual([
      '230.1',
      '49.99',
      '0.953',
      '1234.6',
      '98302.5',
      '12',
      '-3.142',
    ]);
    expect([true, null, 'a very long string value here'].map(formatValue)).toEqual(['true', '-', 'a very long str…']);
  });
});
