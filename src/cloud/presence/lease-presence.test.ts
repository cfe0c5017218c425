import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log/index.js';
import { leaseName, leaseSpec } from '../coordination/index.js';
import { SqliteObjectStore } from '../store/index.js';
import { type Link, linkTo, until } from '../testing/cut-link.js';
import { LeasePresence } from './lease-presence.js';

/**
 * Node claims as Leases over a store shared by the replicas (the embedded one here; against the
 * API server double and kubectl in hil-tests/kubernetes/lease-coordination.test.ts). Time is a
 * manual clock; timers run for real.
 */
describe('LeasePresence', () => {
  let shared: SqliteObjectStore;
  let t: number;
  let running: LeasePresence[];

  const replica = (identity: string, link: Link = linkTo(shared)) => {
    const p = new LeasePresence({
      open: async () => ({ store: link.store, namespace: 'kedge-system' }),
      identity,
      logger: silentLogger(),
      renewPeriodMs: 10,
      pollMs: 10,
      claimsListMs: 10,
      now: () => t,
    });
    running.push(p);
    return p;
  };
  const claimLease = (node: string) => shared.get('Lease', 'kedge-system', leaseName('kedge-claim-', node));

  beforeEach(() => {
    shared = new SqliteObjectStore({ file: ':memory:' });
    t = 1_700_000_000_000;
    running = [];
  });

  afterEach(async () => {
    for (const p of running) await p.stop();
    await shared.close();
  });

  it('a claim is a Lease held by the replica; the latest claim wins; a release does not undo another replica', async () => {
    const r1 = replica('r1');
    const r2 = replica('r2');
    await r1.start();
    await r2.start();
    await r1.claim('edge-1');
    expect(await r2.holderOf('edge-1')).toBe('r1');
    const first = (await claimLease('edge-1'))!;
    expect(first.metadata.labels).toMatchObject({ 'kedge.io/role': 'claim' });
    expect(first.metadata.annotations).toMatchObject({ 'kedge.io/node': 'edge-1' });
    expect(leaseSpec(first)).toMatchObject({ holderIdentity: 'r1', leaseDurationSeconds: 15, leaseTransitions: 0 });
    await r2.claim('edge-1');
    expect(await r1.holderOf('edge-1')).toBe('r2');
    expect(leaseSpec(await claimLease('edge-1'))).toMatchObject({ holderIdentity: 'r2', leaseTransitions: 1 });
    await r1.release('edge-1');
    expect(await r1.holderOf('edge-1')).toBe('r2');
    await r2.release('edge-1');
    expect(await claimLease('edge-1')).toBeUndefined();
    expect(await r1.holderOf('edge-1')).toBeUndefined();
  });

  it('a replica cut off turns unhealthy at the renew deadline, before its claims lapse at the lease duration on the reader’s clock', async () => {
    const link1 = linkTo(shared);
    const r1 = replica('r1', link1);
    const r2 = replica('r2');
    await r1.start();
    await r2.start();
    await r1.claim('edge-1');
    await r1.claim('edge-2');
    const events: Array<[string, string | undefined, number]> = [];
    const watch = await r2.watch((node, holder) => events.push([node, holder, t]));
    expect(events.map(([n, h]) => [n, h]).sort()).toEqual([
      ['edge-1', 'r1'],
      ['edge-2', 'r1'],
    ]);
    let unhealthyAt: number | undefined;
    r1.onHealth((healthy) => {
      if (!healthy) unhealthyAt = t;
    });
    const lastRenewal = t;
    link1.cut = true;
    t = lastRenewal + 10_000;
    await until(() => unhealthyAt !== undefined, 'r1 to turn unhealthy');
    expect(r1.healthy).toBe(false);
    await expect(r1.claim('edge-3')).rejects.toMatchObject({ code: 'KEDGE_CLOUD_STORE_KUBE_UNREACHABLE' });
    t = lastRenewal + 14_900;
    await new Promise((r) => setTimeout(r, 60));
    expect(await r2.holderOf('edge-1')).toBe('r1');
    expect(events).toHaveLength(2);
    t = lastRenewal + 15_000;
    await until(() => events.length === 4, 'the claims to lapse');
    expect(
      events
        .slice(2)
        .map(([n, h]) => [n, h])
        .sort(),
    ).toEqual([
      ['edge-1', undefined],
      ['edge-2', undefined],
    ]);
    expect(await r2.holderOf('edge-2')).toBeUndefined();
    // Back in touch: healthy again in a new term; the claims of the old one stay lapsed, the
    // nodes it claims again are its own.
    link1.cut = false;
    await until(() => r1.healthy, 'r1 to renew');
    expect(await r2.holderOf('edge-2')).toBeUndefined();
    await r1.claim('edge-1');
    await until(() => events.length === 5, 'the new claim');
    expect(events.at(-1)!.slice(0, 2)).toEqual(['edge-1', 'r1']);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toHaveLength(5);
    watch.stop();
  });

  it('stop deletes the replica Lease: its claims end at once', async () => {
    const r1 = replica('r1');
    const r2 = replica('r2');
    await r1.start();
    await r2.start();
    await r1.claim('edge-1');
    await r1.stop();
    running.splice(running.indexOf(r1), 1);
    expect(await r2.holderOf('edge-1')).toBeUndefined();
    expect(await shared.get('Lease', 'kedge-system', 'kedge-replica-r1')).toBeUndefined();
  });

  it('announces through the replica Lease; replicas() lists the live ones', async () => {
    const link1 = linkTo(shared);
    const r1 = replica('r1', link1);
    const r2 = replica('r2');
    await r1.start();
    await r2.start();
    await r1.announce('session-r1');
    expect(await r2.replicas()).toEqual(
      new Map([
        ['r1', 'session-r1'],
        ['r2', ''],
      ]),
    );
    link1.cut = true;
    t += 15_000;
    await until(async () => !(await r2.replicas()).has('r1'), 'r1 to be gone');
  });

  it('Lease names are DNS subdomains; ids that had to change never share one', () => {
    expect(leaseName('kedge-claim-', 'edge-1')).toBe('kedge-claim-edge-1');
    const a = leaseName('kedge-replica-', 'Host_1');
    const b = leaseName('kedge-replica-', 'host-1');
    expect(a).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
    expect(a).not.toBe(b);
    expect(leaseName('kedge-claim-', 'x'.repeat(300)).length).toBeLessThanOrEqual(253);
  });
});
