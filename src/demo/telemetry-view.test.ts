import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LiveScreen } from './screen.js';
import { parseTelemetry, TelemetryView } from './telemetry-view.js';

const msg = (device: string, property: string, value: unknown, ts: number) =>
  JSON.stringify({
    namespace: 'default',
    device,
    node: 'demo',
    readings: [{ property, value, unit: 'degC', quality: 'good', ts }],
  });

describe('TelemetryView', () => {
  it('keeps the latest reading per device and property, sorted', () => {
    const view = new TelemetryView();
    view.add(parseTelemetry(msg('b', 'temp', 20.123456789, 1000))!, 1000);
    view.add(parseTelemetry(msg('a', 'temp', 1, 1000))!, 1000);
    view.add(parseTelemetry(msg('b', 'temp', 21.5, 3000))!, 3000);
    expect(view.rows(5000)).toEqual([
      ['DEVICE', 'PROPERTY', 'VALUE', 'UNIT', 'QUALITY', 'AGE'],
      ['default/a', 'temp', '1', 'degC', 'good', '4s'],
      ['default/b', 'temp', '21.5', 'degC', 'good', '2s'],
    ]);
    expect([view.messages, view.readings, view.size]).toEqual([3, 3, 2]);
    expect(TelemetryView.lines(parseTelemetry(msg('a', 'temp', 1, 0))!)).toEqual([
      '1970-01-01T00:00:00.000Z default/a temp=1 degC (good)',
    ]);
  });

  it.each(['{', '{"namespace":"x"}', 'null', '[]'])('refuses a payload that is not telemetry: %s', (raw) => {
    expect(parseTelemetry(raw)).toBeUndefined();
  });
});

describe('LiveScreen', () => {
  const capture = (tty: boolean) => {
    const out = new PassThrough() as PassThrough & { isTTY?: boolean };
    out.isTTY = tty;
    let text = '';
    out.on('data', (d) => (text += d));
    return { out, text: () => text };
  };

  it('redraws in place on a terminal', () => {
    const { out, text } = capture(true);
    const screen = new LiveScreen(out);
    screen.redraw('a\nb\n');
    screen.redraw('c\n');
    expect(text()).toBe('a\nb\n\x1b[2A\r\x1b[Jc\n');
  });

  it('prints plain lines, never escape sequences, elsewhere', () => {
    const { out, text } = capture(false);
    const screen = new LiveScreen(out);
    expect(screen.isTty).toBe(false);
    screen.print('x');
    expect(text()).toBe('x\n');
  });
});
