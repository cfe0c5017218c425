/**
 * Secure join with real processes (issue 18): `kedge cloud` on its default link (wss://, mutual
 * TLS), `kedge token create`, `kedge edge join`, `kedge edge`. Refused: a used-up token, an
 * expired token, a cloud whose CA is not the token's, a node's certificate used as another node,
 * no certificate, a certificate of another CA, and a node after `kedge delete node`.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';
import { readFileSync } from 'node:fs';
import { foreignClientCertificate } from './harness/foreign-ca.js';

interface NodeRow {
  name: string;
  ready: boolean;
}

describe('joining with a token and a certificate per node', () => {
  const dir = tempDir('kedge-e2e-join-');
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  const running: KedgeProcess[] = [];
  let hubUrl = '';

  const nodes = async (): Promise<NodeRow[]> =>
    ((await (await fetch(`${cloud.api}/api/v1/nodes`)).json()) as { items: NodeRow[] }).items;
  const metric = async (line: RegExp): Promise<number> => {
    const text = await (await fetch(`${cloud.api}/metrics`)).text();
    const m = text.split('\n').find((l) => line.test(l));
    return m ? Number(m.split(' ').pop()) : 0;
  };
  const token = async (...args: string[]) => {
    const r = await runKedge(['token', 'create', '--server', cloud.api, ...args]);
    expect(r.stderr).toMatch(/valid until/);
    expect(r.code).toBe(0);
    return r.stdout.trim();
  };
  const joinAs = (node: string, tok: string, dataDir = join(dir.path, node)) =>
    runKedge([
      'edge',
      'join',
      '--cloud',
      hubUrl,
      '--join-port',
      `${cloud.ports.join}`,
      '--token',
      tok,
      '--node',
      node,
      '--data-dir',
      dataDir,
    ]);

  beforeAll(async () => {
    cloud = await startCloud(join(dir.path, 'cloud'), {}, { secure: true });
    running.push(cloud.proc);
    hubUrl = `wss://127.0.0.1:${cloud.ports.hub}`;
  }, 90_000);
  afterAll(async () => {
    for (const p of running.splice(0).reverse()) await p.stop().catch(() => undefined);
    dir.remove();
  });

  it('a node joins with a token, stores its key and certificate 0600, and connects over mutual TLS', async () => {
    expect(cloud.proc.output).toMatch(/certificate authority ready/);
    expect(statSync(join(dir.path, 'cloud', 'pki', 'ca.key')).mode & 0o777).toBe(0o600);
    const tok = await token('--ttl', '1h');
    expect(tok).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{16}\.[0-9a-f]{32}$/);
    const joined = await joinAs('line-1', tok);
    expect(joined.stderr).toBe('');
    expect(joined.code).toBe(0);
    expect(joined.stdout).toMatch(/node line-1 joined wss:\/\/127\.0\.0\.1:\d+: certificate valid until/);
    const pki = join(dir.path, 'line-1', 'pki');
    expect(statSync(pki).mode & 0o777).toBe(0o700);
    expect(statSync(join(pki, 'node.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(pki, 'node.crt')).mode & 0o777).toBe(0o600);
    const setup = await edgeSetup('line-1', join(dir.path, 'line-1'), '', 'none');
    const edge = await startEdge({ ...setup, cloudUrl: hubUrl });
    running.push(edge);
    await waitFor(async () => (await nodes()).some((n) => n.name === 'line-1' && n.ready), 'line-1 ready', 30_000, [
      edge,
      cloud.proc,
    ]);
    // The cloud can see the node ready before the edge's log line reaches this process.
    await waitFor(() => edge.output.includes('connected to the cloud'), "the edge's log line", 10_000, [edge]);
  }, 90_000);

  it('refuses a used-up token, an expired token and a token for another CA, storing nothing', async () => {
    const once = await token('--uses', '1');
    expect((await joinAs('line-2', once)).code).toBe(0);
    const again = await joinAs('line-3', once);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/KEDGE_JOIN_REFUSED.*join token [0-9a-f]{16} is used up/);

    const short = await token('--ttl', '1s');
    await new Promise((r) => setTimeout(r, 1500));
    const late = await joinAs('line-4', short);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/join token [0-9a-f]{16} expired/);

    // The token pins another CA (as a token of another cloud would): the edge stops before sending anything.
    const good = await token();
    const otherCa = `${'ab'.repeat(32)}${good.slice(64)}`;
    const wrong = await joinAs('line-5', otherCa);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /KEDGE_JOIN_WRONG_CA.*presented CA sha256:[0-9a-f]{64}; the token pins sha256:(ab){32}/,
    );
    for (const n of ['line-3', 'line-4', 'line-5'])
      expect(() => statSync(join(dir.path, n, 'pki', 'node.crt')), n).toThrow();
    // The unused token still works: the wrong-CA attempt never reached the cloud with it.
    expect((await joinAs('line-5', good)).code).toBe(0);
    expect(await metric(/^kedge_join_requests_total\{path="\/join",outcome="used_up"\}/)).toBe(1);
    expect(await metric(/^kedge_join_requests_total\{path="\/join",outcome="expired"\}/)).toBe(1);
  }, 90_000);

  it('refuses a name that holds a valid certificate, and an edge started with another node name', async () => {
    const taken = await joinAs('line-1', await token(), join(dir.path, 'line-1-again'));
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/node line-1 already holds a certificate/);
    const r = await runKedge(
      ['edge', '--node', 'line-2', '--data-dir', join(dir.path, 'line-5'), '--cloud', hubUrl, '--mappers', 'none'],
      { timeoutMs: 30_000 },
    );
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/KEDGE_EDGE_WRONG_CERTIFICATE.*is for node "line-5", not line-2/);
  }, 60_000);

  it('refuses impersonation, no certificate and a foreign CA at the link, logged and counted', async () => {
    const pki = join(dir.path, 'line-2', 'pki');
    const own = {
      cert: readFileSync(join(pki, 'node.crt'), 'utf8'),
      key: readFileSync(join(pki, 'node.key'), 'utf8'),
      ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
    };
    // line-2's certificate, asking to be line-1 (which is connected: it must stay so).
    expect(await upgradeStatus('line-1', own)).toBe(403);
    expect(await upgradeStatus('line-2', own)).toBe(101);
    expect(await upgradeStatus('line-2', { ca: own.ca })).toBe(401);
    expect(await upgradeStatus('line-2', { ca: own.ca, ...(await foreignClientCertificate('line-2')) })).toBe(401);
    expect(cloud.proc.output).toMatch(/the certificate of node line-2 was used to connect as node line-1/);
    expect(await metric(/^kedge_cloudhub_refused_connections_total\{reason="impersonation"\}/)).toBe(1);
    expect(await metric(/^kedge_cloudhub_refused_connections_total\{reason="no_certificate"\}/)).toBe(1);
    expect(await metric(/^kedge_cloudhub_refused_connections_total\{reason="untrusted"\}/)).toBe(1);
    expect((await nodes()).find((n) => n.name === 'line-1')?.ready).toBe(true);
  }, 60_000);

  it('kedge delete node revokes: the link closes and reconnects are refused', async () => {
    const edge = running.find((p) => p.name === 'edge')!;
    const r = await runKedge(['delete', 'node', 'line-1', '--server', cloud.api]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/node\/line-1 deleted; 1 certificate\(s\) revoked/);
    await waitFor(() => /node line-1 was revoked/.test(edge.output), 'the edge told it was revoked', 30_000, [edge]);
    await waitFor(() => /its certificate was revoked/.test(edge.output), 'the edge refused on reconnect', 60_000, [
      edge,
    ]);
    expect(await metric(/^kedge_cloudhub_refused_connections_total\{reason="revoked"\}/)).toBeGreaterThanOrEqual(1);
    expect((await nodes()).find((n) => n.name === 'line-1' && n.ready)).toBeUndefined();
  }, 90_000);

  /** The HTTP status of a link upgrade with these TLS credentials (101: accepted). */
  function upgradeStatus(node: string, tls: { ca: string; cert?: string; key?: string }): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${hubUrl}/kedge/${node}/events`, { ...tls, handshakeTimeout: 10_000 });
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('error', (err) => reject(err));
    });
  }
});
