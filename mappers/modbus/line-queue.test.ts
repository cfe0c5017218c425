import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isKedgeError } from '../../src/core/errors/index.js';
import { modbusErrors } from './errors.js';
import { LineQueue, type LineQueueOptions, type UnitHealth, type UnitId } from './line-queue.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const answerAfter =
  <T>(ms: number, value: T) =>
  () =>
    new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const never = () => new Promise<never>(() => undefined);
const codeOf = (err: unknown) => (isKedgeError(err) ? err.code : String(err));

describe('LineQueue ordering and exclusivity', () => {
  it('serves units round-robin, each unit in FIFO order', async () => {
    const q = new LineQueue('line-a');
    const order: string[] = [];
    const task = (name: string) => async () => {
      order.push(name);
      return name;
    };
    const all = [
      q.submit(1, task('a1')),
      q.submit(1, task('a2')),
      q.submit(1, task('a3')),
      q.submit(2, task('b1')),
      q.submit(3, task('c1')),
      q.submit(2, task('b2')),
    ];
    await vi.runAllTimersAsync();
    await Promise.all(all);
    // a1 starts at once; then unit 1 has to take turns: b1 and c1 run before a3.
    expect(order).toEqual(['a1', 'a2', 'b1', 'c1', 'a3', 'b2']);
  });

  it('never has two requests in flight and runs each task exactly once', async () => {
    const q = new LineQueue('line-b', { interRequestDelayMs: 3 });
    let inFlight = 0;
    let maxInFlight = 0;
    const runs = new Map<number, number>();
    const jobs = Array.from({ length: 200 }, (_, i) =>
      q.submit(i % 7, async () => {
        runs.set(i, (runs.get(i) ?? 0) + 1);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, (i * 7) % 5));
        inFlight -= 1;
        return i;
      }),
    );
    await vi.runAllTimersAsync();
    expect(await Promise.all(jobs)).toEqual(jobs.map((_, i) => i));
    expect(maxInFlight).toBe(1);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(200);
  });

  it('keeps the larger of interRequestDelayMs and the RTU gap between requests', async () => {
    const starts: number[] = [];
    const q = new LineQueue('rtu', { interRequestDelayMs: 2, rtu: { baudRate: 1200, parity: 'even' } }); // gap 32.08 ms
    const jobs = [1, 2, 3].map((u) => q.submit(u, async () => starts.push(Date.now())));
    await vi.runAllTimersAsync();
    await Promise.all(jobs);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(32);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(32);
  });

  it('a request that does not finish times out, is aborted and frees the line', async () => {
    const q = new LineQueue('line-c', { timeoutMs: 500, failureThreshold: 99 });
    let aborted = false;
    const hung = q.submit(1, (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return never();
    });
    const next = q.submit(2, answerAfter(1, 'ok'));
    const hungResult = hung.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(600);
    const err = await hungResult;
    expect(codeOf(err)).toBe('KEDGE_MODBUS_TIMEOUT');
    expect((err as Error).message).toContain('unit 1');
    expect(aborted).toBe(true);
    await expect(next).resolves.toBe('ok');
  });

  it('a task without a signal parameter times out and frees the line the same way', async () => {
    const q = new LineQueue('line-c2', { timeoutMs: 500, failureThreshold: 99 });
    const hung = q.submit(1, () => never()).catch((e: unknown) => e);
    const next = q.submit(2, answerAfter(1, 'ok'));
    await vi.advanceTimersByTimeAsync(600);
    expect(codeOf(await hung)).toBe('KEDGE_MODBUS_TIMEOUT');
    await expect(next).resolves.toBe('ok');
  });

  it('stop() refuses queued and new requests', async () => {
    const q = new LineQueue('line-d');
    const first = q.submit(1, answerAfter(10, 1));
    const queued = q.submit(2, answerAfter(10, 2)).catch((e: unknown) => codeOf(e));
    q.stop();
    expect(await queued).toBe('KEDGE_MODBUS_QUEUE_CLOSED');
    await expect(q.submit(3, answerAfter(1, 3))).rejects.toMatchObject({ code: 'KEDGE_MODBUS_QUEUE_CLOSED' });
    await vi.advanceTimersByTimeAsync(20);
    await expect(first).resolves.toBe(1);
  });

  it('refuses beyond maxPendingPerUnit', async () => {
    const q = new LineQueue('line-e', { maxPendingPerUnit: 2 });
    const running = q.submit(1, answerAfter(5, 0));
    const a = q.submit(1, answerAfter(5, 1));
    const b = q.submit(1, answerAfter(5, 2));
    await expect(q.submit(1, answerAfter(5, 3))).rejects.toMatchObject({ code: 'KEDGE_MODBUS_QUEUE_FULL' });
    await vi.runAllTimersAsync();
    expect(await Promise.all([running, a, b])).toEqual([0, 1, 2]);
  });
});

describe('LineQueue device health', () => {
  const failing = () => Promise.reject(modbusErrors.create('KEDGE_MODBUS_TIMEOUT', 'unit 5 timed out'));

  it('backs a failing unit off exponentially up to the cap, probing once per expiry', async () => {
    const changes: Array<[UnitId, boolean]> = [];
    const q = new LineQueue('line-f', {
      backoff: { initialMs: 1000, maxMs: 4000 },
      onHealthChange: (u, h: UnitHealth) => changes.push([u, h.online]),
    });
    const calls = { n: 0 };
    const task = () => {
      calls.n += 1;
      return failing();
    };
    await expect(q.submit(5, task)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_TIMEOUT' });
    expect(q.health(5)).toMatchObject({ online: false, backoffMs: 1000, consecutiveFailures: 1 });
    expect(changes).toEqual([[5, false]]);

    // during back-off: refused without touching the line
    await expect(q.submit(5, task)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_DEVICE_BACKOFF' });
    expect(calls.n).toBe(1);

    const backoffs: number[] = [];
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(q.health(5).backoffMs);
      const probe = q.submit(5, task).catch(codeOf);
      // only one probe per expiry
      await expect(q.submit(5, task)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_DEVICE_BACKOFF' });
      expect(await probe).toBe('KEDGE_MODBUS_TIMEOUT');
      backoffs.push(q.health(5).backoffMs);
    }
    expect(backoffs).toEqual([2000, 4000, 4000, 4000]);
    expect(calls.n).toBe(5);

    await vi.advanceTimersByTimeAsync(4000);
    await expect(q.submit(5, async () => 'back')).resolves.toBe('back');
    expect(q.health(5)).toEqual({ online: true, consecutiveFailures: 0, backoffMs: 0, backoffUntil: undefined });
    expect(changes).toEqual([
      [5, false],
      [5, true],
    ]);
    expect(q.stats().trackedUnits).toBe(0);
  });

  it('flushes the queued requests of a unit when it goes offline', async () => {
    const q = new LineQueue('line-g');
    const first = q.submit(5, failing).catch(codeOf);
    const queued = [q.submit(5, answerAfter(1, 1)).catch(codeOf), q.submit(5, answerAfter(1, 2)).catch(codeOf)];
    expect(await first).toBe('KEDGE_MODBUS_TIMEOUT');
    expect(await Promise.all(queued)).toEqual(['KEDGE_MODBUS_DEVICE_BACKOFF', 'KEDGE_MODBUS_DEVICE_BACKOFF']);
    expect(q.stats()).toMatchObject({ pending: 0, turns: 0 });
  });

  it('a Modbus exception does not count as a device failure', async () => {
    const q = new LineQueue('line-h');
    const exception = () =>
      Promise.reject(modbusErrors.create('KEDGE_MODBUS_EXCEPTION', 'exception 2 (Illegal Data Address)'));
    await expect(q.submit(5, exception)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_EXCEPTION' });
    expect(q.health(5).online).toBe(true);
    await expect(q.submit(5, async () => 1)).resolves.toBe(1);
  });

  it('failureThreshold tolerates occasional failures', async () => {
    const q = new LineQueue('line-i', { failureThreshold: 3 });
    for (let i = 0; i < 2; i++)
      await expect(q.submit(5, failing)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_TIMEOUT' });
    expect(q.health(5)).toMatchObject({ online: true, consecutiveFailures: 2 });
    await expect(q.submit(5, failing)).rejects.toMatchObject({ code: 'KEDGE_MODBUS_TIMEOUT' });
    expect(q.health(5).online).toBe(false);
  });
});

/** Each live unit polls every intervalMs after its previous poll settles; counts completions. */
async function simulate(units: UnitId[], deadUnit: UnitId | undefined, durationMs: number, options: LineQueueOptions) {
  const q = new LineQueue('bus', options);
  const done = new Map<UnitId, number>();
  let stopped = false;
  const poll = (unit: UnitId): void => {
    if (stopped) return;
    const task = unit === deadUnit ? never : answerAfter(10, unit);
    q.submit(unit, task)
      .then(
        () => done.set(unit, (done.get(unit) ?? 0) + 1),
        () => undefined,
      )
      .finally(() => setTimeout(() => poll(unit), 100));
  };
  for (const u of units) poll(u);
  if (deadUnit !== undefined) poll(deadUnit);
  await vi.advanceTimersByTimeAsync(durationMs);
  stopped = true;
  q.stop();
  await vi.runAllTimersAsync();
  return done;
}

describe('a dead unit among live ones', () => {
  it("does not reduce the live units' completed polls (within probe cost)", async () => {
    const options = { timeoutMs: 1000, interRequestDelayMs: 5, backoff: { initialMs: 1000, maxMs: 60_000 } };
    const baseline = await simulate([1, 2, 3], undefined, 600_000, options);
    const withDead = await simulate([1, 2, 3], 9, 600_000, options);
    for (const u of [1, 2, 3]) {
      expect(baseline.get(u)!).toBeGreaterThan(4000);
      // the dead unit costs one timeout per probe: 1,2,4,...,60 s back-offs -> ~15 probes in 10 min
      expect(withDead.get(u)!).toBeGreaterThanOrEqual(baseline.get(u)! * 0.95);
    }
    expect(withDead.get(9)).toBeUndefined();
  });

  it('without back-off the same dead unit would cost the live units most of their polls', async () => {
    // A control experiment: it shows the first test measures something real.
    const options = { timeoutMs: 1000, interRequestDelayMs: 5, failureThreshold: Number.MAX_SAFE_INTEGER };
    const baseline = await simulate([1, 2, 3], undefined, 60_000, options);
    const withDead = await simulate([1, 2, 3], 9, 60_000, options);
    expect(withDead.get(1)!).toBeLessThan(baseline.get(1)! * 0.5);
  });
});

describe('10,000 failures', () => {
  it('cause no unhandled rejection and leave the internal state bounded', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const q = new LineQueue('noisy', { timeoutMs: 50, backoff: { initialMs: 10, maxMs: 40 } });
      let settled = 0;
      for (let round = 0; round < 100; round++) {
        const batch = Array.from({ length: 100 }, (_, i) => {
          const unit = i % 50;
          // every third task rejects only after the queue has timed it out: a late rejection
          const late = () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late')), 100));
          const task = i % 3 === 0 ? late : () => Promise.reject(new Error(`unit ${unit} failed`));
          return q
            .submit(unit, task)
            .then(
              () => undefined,
              () => undefined,
            )
            .finally(() => (settled += 1));
        });
        await vi.runAllTimersAsync();
        await Promise.all(batch);
        const s = q.stats();
        expect(s.pending).toBe(0);
        expect(s.turns).toBe(0);
        expect(s.pendingUnits).toBe(0);
        expect(s.trackedUnits).toBeLessThanOrEqual(50);
      }
      expect(settled).toBe(10_000);
      await vi.runAllTimersAsync();
      vi.useRealTimers(); // node reports unhandled rejections after a real turn of the event loop
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('LineQueue shares the line by time', () => {
  it('a slow unit that answers gets its share of line time, not every other turn', async () => {
    const q = new LineQueue('rtu-fair');
    const served = new Map<UnitId, number>();
    const busyUntil = Date.now() + 10_000;
    // Three units want the line all the time: unit 1 takes 300 ms per answer, units 2 and 3 take 10 ms.
    const keepAsking = (unit: UnitId, ms: number): Promise<void> =>
      q
        .submit(unit, answerAfter(ms, unit))
        .then(() => void served.set(unit, (served.get(unit) ?? 0) + 1))
        .then(() => (Date.now() < busyUntil ? keepAsking(unit, ms) : undefined));
    const all = [keepAsking(1, 300), keepAsking(2, 10), keepAsking(3, 10)];
    await vi.advanceTimersByTimeAsync(10_000);
    await vi.runAllTimersAsync();
    await Promise.all(all);
    // Round-robin gave each unit one turn per 320 ms (31 each in 10 s). By time, each has about a
    // third of the line: the fast units are served far more often, the slow one still gets its share.
    expect(served.get(2)!).toBeGreaterThan(200);
    expect(served.get(3)!).toBeGreaterThan(200);
    expect(served.get(1)!).toBeGreaterThan(5);
    expect(q.lineTimeOf(1)).toBeGreaterThan(0);
  });

  it('marks a unit offline only after its own failure threshold, then backs it off', async () => {
    const changes: Array<[UnitId, boolean]> = [];
    const q = new LineQueue('rtu-flaky', {
      timeoutMs: 50,
      onHealthChange: (u, h) => changes.push([u, h.online]),
    });
    q.setFailureThreshold(7, 3);
    const fail = () => Promise.reject(modbusErrors.create('KEDGE_MODBUS_TIMEOUT', 'no answer'));
    for (let i = 0; i < 2; i++) {
      const p = q.submit(7, fail).catch(codeOf);
      await vi.runAllTimersAsync();
      expect(await p).toBe('KEDGE_MODBUS_TIMEOUT');
    }
    expect(q.health(7)).toMatchObject({ online: true, consecutiveFailures: 2 });
    // An answer in between starts the count again.
    const ok = q.submit(7, async () => 1);
    await vi.runAllTimersAsync();
    await ok;
    for (let i = 0; i < 3; i++) {
      const p = q.submit(7, fail).catch(codeOf);
      await vi.runAllTimersAsync();
      await p;
    }
    expect(q.health(7).online).toBe(false);
    expect(changes).toEqual([[7, false]]);
    expect(await q.submit(7, async () => 1).catch(codeOf)).toBe('KEDGE_MODBUS_DEVICE_BACKOFF');
  });
});
