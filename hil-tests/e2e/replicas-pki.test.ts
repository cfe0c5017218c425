/**
 * Secure join with two cloud replicas on a real 3-member etcd cluster (issue 18 with issue 22):
 * the CA, join tokens with their uses and revocations are kept in etcd, so both replicas sign
 * with one CA, a token created on one is used up on the other, a node joins through either, and
 * a node revoked through one replica is disconnected from the other and refused by both.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type TestBroker } from '../support/brokers.js';
import { startEtcdCluster, type EtcdCluster } from '../support/etcd-cluster.js';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';
import { startReplica, type Replica } from './harness/replicas.js';

describe('secure join across cloud replicas on etcd', () => {
  const dir = tempDir('kedge-e2e-replicas-pki-');
  let etcd: EtcdCluster;
  let broker: TestBroker;
  let a: Replica;
  let b: Replica;
  const running: KedgeProcess[] = [];

  const token = async (r: Replica, ...args: string[]) => {
    const res = await runKedge(['token', 'create', '--server', r.api, ...args]);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.trim();
  };
  const joinThrough = (r: Replica, node: string, tok: string, dataDir = join(dir.path, node)) =>
    runKedge([
      'edge',
      'join',
      '--cloud',
      r.hubUrl,
      '--join-port',
      `${r.join}`,
      '--token',
      tok,
      '--node',
      node,
      '--data-dir',
      dataDir,
    ]);
  const metric = async (r: Replica, line: RegExp): Promise<number> => {
    const text = await (await fetch(`${r.api}/metrics`)).text();
    const m = text.split('\n').find((l) => line.test(l));
    return m ? Number(m.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    [etcd, broker] = await Promise.all([startEtcdCluster(), startMosquitto()]);
    const store = etcd.storeUrl;
    // Replica A makes the CA and stores it in etcd; B, started after, finds it there.
    a = await startReplica('a', join(dir.path, 'a'), store, broker.url, {}, { secure: true });
    running.push(a.proc);
    b = await startReplica('b', join(dir.path, 'b'), store, broker.url, {}, { secure: true });
    running.push(b.proc);
  }, 180_000);
  afterAll(async () => {
    for (const p of running.splice(0).reverse()) await p.stop().catch(() => undefined);
    await broker?.close();
    await etcd?.close();
    dir.remove();
  });

  it('both replicas sign with the CA kept in etcd; a token is used up across replicas', async () => {
    expect(logLine(a.proc.output, 'certificate authority ready', 'created in etcd /kedge/pki/ca')).toBe(true);
    expect(logLine(b.proc.output, 'certificate authority ready', '"etcd /kedge/pki/ca"')).toBe(true);
    const once = await token(a, '--uses', '1');
    const twice = await token(b, '--uses', '2');
    expect(once.slice(0, 64)).toBe(twice.slice(0, 64)); // the CA hash the tokens pin

    // Created on A, used through B: gone for A too.
    const first = await joinThrough(b, 'line-1', once);
    expect(first.code, first.stderr).toBe(0);
    const again = await joinThrough(a, 'line-2', once);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/join token [0-9a-f]{16} is used up/);
    // Created on B, used on A then B, then used up on either.
    expect((await joinThrough(a, 'line-2', twice)).code).toBe(0);
    expect((await joinThrough(b, 'line-3', twice)).code).toBe(0);
    expect((await joinThrough(a, 'line-4', twice)).stderr).toMatch(/is used up/);
    // A name holding a certificate issued by one replica is taken on the other.
    const taken = await joinThrough(a, 'line-1', await token(a), join(dir.path, 'line-1-again'));
    expect(taken.stderr).toMatch(/node line-1 already holds a certificate/);
  }, 120_000);

  it('a node revoked through A is disconnected from B and refused by both', async () => {
    // line-1 (joined through B) connects to B first, A if B fails.
    const setup = await edgeSetup('line-1', join(dir.path, 'line-1'), `${b.hubUrl},${a.hubUrl}`, 'none');
    const edge = await startEdge(setup);
    running.push(edge);
    const connected = async () =>
      /^kedge_edgehub_connected 1$/m.test(
        await fetch(`http://127.0.0.1:${setup.apiPort}/metrics`)
          .then((r) => r.text())
          .catch(() => ''),
      );
    await waitFor(connected, 'line-1 connected', 60_000, [edge, b.proc]);
    await waitFor(() => logLine(b.proc.output, '"node connected"', '"line-1"'), 'line-1 held by B', 30_000);

    const r = await runKedge(['delete', 'node', 'line-1', '--server', a.api]);
    expect(r.stdout).toMatch(/node\/line-1 deleted; 1 certificate\(s\) revoked/);
    await waitFor(() => /node line-1 was revoked/.test(edge.output), 'B closing the revoked node', 30_000, [edge]);
    await waitFor(
      async () =>
        (await metric(b, /^kedge_cloudhub_refused_connections_total\{reason="revoked"\}/)) >= 1 &&
        (await metric(a, /^kedge_cloudhub_refused_connections_total\{reason="revoked"\}/)) >= 1,
      'both replicas refusing its reconnects',
      90_000,
      [edge],
    );
    expect(await connected()).toBe(false);
  }, 180_000);
});

/** Whether one line of a process's log holds all these pieces (fields come in any order). */
function logLine(output: string, ...pieces: string[]): boolean {
  return output.split('\n').some((l) => pieces.every((p) => l.includes(p)));
}
