import { describe, expect, it } from 'vitest';
import { goLocalTime, httpPushBody, mqttPushPayload } from './format.js';

describe('push payloads (mapper-framework data/publish)', () => {
  const ms = new Date(2026, 11, 8, 9, 30, 5, 999).getTime(); // local time, as Go's time.Unix(...).Format
  it('writes the time as Go does: whole seconds, local, "2006-01-02 15:04:05"', () => {
    expect(goLocalTime(ms)).toBe('2026-12-08 09:30:05');
  });
  it('mqtt: "time is <time>  <topic>: <value>"', () => {
    expect(mqttPushPayload('plant/t', '21.5', ms)).toBe('time is 2026-12-08 09:30:05  plant/t: 21.5');
  });
  it('http: the form body, a value that holds form delimiters read back unchanged by a form decoder', () => {
    expect(httpPushBody('temperature', '21.5', ms)).toBe('temperature=21.5&time=2026-12-08 09:30:05');
    const body = httpPushBody('status', 'a&b=c+d 100%', ms);
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      status: 'a&b=c+d 100%',
      time: '2026-12-08 09:30:05',
    });
  });
});
