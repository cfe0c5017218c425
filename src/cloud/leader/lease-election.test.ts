import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log/index.js';
import { leaseSpec, microTime } from '../coordination/index.js';
import { SqliteObjectStore } from '../store/index.js';
import { type Link, linkTo, until } from '../testing/cut-link.js';
import { LeaseLeaderElection } from './lease-election.js';

/**
 * The Lease election over a store shared by the candidates (the embedded one here; against the
 * API server double and kubectl in hil-tests/kubernetes/lease-coordination.test.ts). Time is a
 * manual clock: the rules are about durations on each candidate's clock; timers run for real.
 */
describe('LeaseLeaderElection', () => {
  let shared: SqliteObjectStore;
  let t: number;
  let running: LeaseLeaderElection[];
  let twoLeaders: number;
  let sampler: NodeJS.Timeout;

  const candidate = (identity: string, link: Link = linkTo(shared)) => {
    const e = new LeaseLeaderElection({
      open: async () => ({ store: link.store, namespace: 'kedge-system' }),
      identity,
      logger: silentLogger(),
      retryPeriodMs: 10,
      now: () => t,
    });
    running.push(e);
    return e;
  };
  const lease = async () => (await shared.get('Lease', 'kedge-system', 'kedge-cloud-leader'))!;

  beforeEach(() => {
    shared = new SqliteObjectStore({ file: ':memory:' });
    t = 1_700_000_000_000;
    running = [];
    twoLeaders = 0;
    sampler = setInterval(() => {
      if (running.filter((e) => e.leading).length > 1) twoLeaders++;
    }, 2);
  });

  afterEach(async () => {
    clearInterval(sampler);
    for (const e of running) await e.stop();
    await shared.close();
    expect(twoLeaders).toBe(0);
  });

  it('one of two candidates leads; the Lease holds what client-go writes', async () => {
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    await a.start();
    await b.start();
    expect([a.leading, b.leading]).toEqual([true, false]);
    expect(b.leader).toBe('replica-a');
    const l = await lease();
    expect(l.apiVersion).toBe('coordination.k8s.io/v1');
    expect(l.spec).toEqual({
      holderIdentity: 'replica-a',
      leaseDurationSeconds: 15,
      acquireTime: microTime(t),
      renewTime: microTime(t),
      leaseTransitions: 0,
    });
    t += 1_000;
    await until(async () => leaseSpec(await lease()).renewTime === microTime(t), 'a renewal');
    expect(leaseSpec(await lease()).acquireTime).toBe(microTime(t - 1_000));
  });

  it('a leader that cannot renew steps down after the renew deadline; a follower takes over only after the lease duration on its own clock', async () => {
    const linkA = linkTo(shared);
    const a = candidate('replica-a', linkA);
    const b = candidate('replica-b');
    await a.start();
    await b.start();
    const lastRenewal = t;
    linkA.cut = true;
    t = lastRenewal + 9_000;
    await new Promise((r) => setTimeout(r, 50));
    expect(a.leading).toBe(true);
    t = lastRenewal + 10_000;
    await until(() => !a.leading, 'a to step down');
    // b saw the record change at lastRenewal: 15 s must pass on its clock from then.
    t = lastRenewal + 14_900;
    await new Promise((r) => setTimeout(r, 60));
    expect(b.leading).toBe(false);
    expect(leaseSpec(await lease()).holderIdentity).toBe('replica-a');
    t = lastRenewal + 15_000;
    await until(() => b.leading, 'b to take over');
    expect(leaseSpec(await lease())).toMatchObject({
      holderIdentity: 'replica-b',
      acquireTime: microTime(t),
      leaseTransitions: 1,
    });
    // a, back in touch, follows.
    linkA.cut = false;
    await until(() => a.leader === 'replica-b', 'a to see b lead');
    expect(a.leading).toBe(false);
  });

  it('stop releases the lease (empty holder, one second) and the follower takes it at once', async () => {
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    await a.start();
    await b.start();
    await a.stop();
    running.splice(running.indexOf(a), 1);
    await until(() => b.leading, 'b to take the released lease');
    expect(leaseSpec(await lease())).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
  });

  it('of two candidates that read the same free lease, the stale update loses (409) and only one leads', async () => {
    const seed = candidate('replica-old');
    await seed.start();
    await seed.stop();
    running.length = 0;
    expect(leaseSpec(await lease()).holderIdentity).toBe('');
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const [la, lb] = [linkTo(shared), linkTo(shared)];
    la.gate = lb.gate = gate;
    const a = candidate('replica-a', la);
    const b = candidate('replica-b', lb);
    const started = Promise.all([a.start(), b.start()]);
    await until(() => la.calls.get('get') === 1 && lb.calls.get('get') === 1, 'both reads');
    la.gate = lb.gate = undefined;
    open();
    await started;
    expect([a.leading, b.leading].filter(Boolean)).toHaveLength(1);
    expect(leaseSpec(await lease()).leaseTransitions).toBe(1);
  });

  it('start fails when the store does not answer', async () => {
    const link = linkTo(shared);
    link.cut = true;
    await expect(candidate('replica-a', link).start()).rejects.toThrow(/ECONNREFUSED/);
  });
});
