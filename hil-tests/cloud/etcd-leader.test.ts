/**
 * Leader election on a real 3-member etcd cluster: one leader among three candidates, a new one
 * after the leader stops or dies, the cluster losing a member, and a candidate partitioned from
 * etcd (through a TCP proxy the test cuts) stepping down before another can lead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log/index.js';
import { EtcdLeaderElection } from '../../src/cloud/leader/index.js';
import { startEtcdCluster, type EtcdCluster } from '../support/etcd-cluster.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster();
});
afterAll(async () => {
  await cluster?.close();
});

interface Candidate {
  election: EtcdLeaderElection;
  /** [start, end] of each time its work ran (end undefined while running). */
  terms: Array<[number, number | undefined]>;
}

function candidate(name: string, key: string, hosts = cluster.hosts): Candidate {
  const election = new EtcdLeaderElection({
    hosts,
    identity: name,
    logger: silentLogger(),
    key,
    // The defaults of `kedge cloud`: a renewal every 1.7 s, stale after 3.5 s.
    ttlSeconds: 5,
    safetyMarginMs: 1500,
    pollMs: 200,
    requestTimeoutMs: 500,
  });
  const c: Candidate = { election, terms: [] };
  election.whileLeader((signal) => {
    const term: [number, number | undefined] = [Date.now(), undefined];
    c.terms.push(term);
    signal.addEventListener('abort', () => (term[1] = Date.now()));
  });
  return c;
}

async function waitFor(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not reached within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** No two candidates' terms overlap in time. */
function expectNoOverlap(cs: Candidate[]): void {
  const terms = cs.flatMap((c) => c.terms.map(([s, e]) => ({ s, e: e ?? Number.POSITIVE_INFINITY })));
  terms.sort((a, b) => a.s - b.s);
  for (let i = 1; i < terms.length; i++) expect(terms[i]!.s).toBeGreaterThanOrEqual(terms[i - 1]!.e);
}

describe('EtcdLeaderElection', () => {
  it('elects exactly one of three, hands over on stop and after a member dies', async () => {
    const key = `/test/leader-${Date.now()}`;
    const cs = ['a', 'b', 'c'].map((n) => candidate(n, key));
    await Promise.all(cs.map((c) => c.election.start()));
    await waitFor('a leader', () => cs.some((c) => c.election.leading));
    await new Promise((r) => setTimeout(r, 500));
    expect(cs.filter((c) => c.election.leading)).toHaveLength(1);
    const first = cs.find((c) => c.election.leading)!;
    for (const c of cs) expect(c.election.leader).toBe(first.election.identity);

    await first.election.stop();
    const rest = cs.filter((c) => c !== first);
    await waitFor('a second leader', () => rest.some((c) => c.election.leading), 5000);

    // One etcd member killed: the election goes on through the other two (normally the same
    // leader keeps its lease; on a loaded machine it may hand over, but never to two at once).
    await cluster.kill(0);
    await new Promise((r) => setTimeout(r, 2500));
    await waitFor('a leader with a member down', () => rest.some((c) => c.election.leading), 10_000);
    expect(rest.filter((c) => c.election.leading)).toHaveLength(1);
    await cluster.start(0);

    for (const c of rest) await c.election.stop();
    expectNoOverlap(cs);
  });

  it('a leader cut off from etcd steps down before another takes over; it never leads alongside', async () => {
    const key = `/test/leader-partition-${Date.now()}`;
    const proxies: TcpProxy[] = [];
    for (const m of cluster.members) {
      const u = new URL(m.clientUrl);
      proxies.push(await startTcpProxy(u.hostname, Number(u.port)));
    }
    const cut = candidate(
      'cut',
      key,
      proxies.map((p) => p.url),
    );
    await cut.election.start();
    await waitFor('the proxied candidate leads', () => cut.election.leading);
    const other = candidate('other', key);
    await other.election.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(other.election.leading).toBe(false);

    for (const p of proxies) p.cut();
    await waitFor('the other candidate leads', () => other.election.leading, 15_000);
    expect(cut.election.leading).toBe(false);
    const [cutStart, cutEnd] = cut.terms[0]!;
    const [otherStart] = other.terms[0]!;
    expect(cutStart).toBeLessThan(otherStart);
    expect(cutEnd).toBeDefined();
    expect(cutEnd!).toBeLessThanOrEqual(otherStart);

    for (const p of proxies) p.heal();
    await new Promise((r) => setTimeout(r, 1500));
    expect([cut, other].filter((c) => c.election.leading).map((c) => c.election.identity)).toEqual(['other']);
    expect(cut.terms).toHaveLength(1);
    await other.election.stop();
    await waitFor('the healed candidate leads again', () => cut.election.leading, 10_000);
    await cut.election.stop();
    expectNoOverlap([cut, other]);
    for (const p of proxies) await p.close();
  });
});
