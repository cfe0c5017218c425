import { describe, expect, it } from 'vitest';
import { eventIds } from './event-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('eventIds', () => {
  it('gives UUID-shaped ids that do not repeat within a process', () => {
    const next = eventIds();
    const ids = Array.from({ length: 10_000 }, () => next());
    for (const id of ids.slice(0, 100)) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives two generators (two processes) different ids', () => {
    const a = eventIds();
    const b = eventIds();
    expect(a().slice(0, 23)).not.toBe(b().slice(0, 23));
  });
});
