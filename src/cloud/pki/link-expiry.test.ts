import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { JOIN_PATHS } from '../../contracts/index.js';
import { joinCloud, requestCertificate } from '../../edge/join/index.js';
import { startTestCloud } from '../testing/cloud-under-test.js';

/** The secure link in one process: a certificate's end ends its connection; renewal and revocation. */
describe('node certificates on the link', () => {
  let t: Awaited<ReturnType<typeof startTestCloud>>;
  let hub = '';
  let joinUrl = '';
  const creds = (node: string) => {
    const dir = join(t.dataDir, 'nodes', node, 'pki');
    return {
      cert: readFileSync(join(dir, 'node.crt'), 'utf8'),
      key: readFileSync(join(dir, 'node.key'), 'utf8'),
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    };
  };
  const token = async () =>
    (
      (await (
        await fetch(`${t.api}/api/v1/tokens`, { method: 'POST', body: JSON.stringify({ ttlMs: 60_000, uses: 1 }) })
      ).json()) as { token: string }
    ).token;
  const joinAs = async (node: string) =>
    joinCloud({ cloud: joinUrl, token: await token(), node, dataDir: join(t.dataDir, 'nodes', node) });

  beforeAll(async () => {
    t = await startTestCloud({ insecureLink: false, pki: { joinPort: 0, nodeCertTtlMs: 10_000, serverNames: [] } });
    hub = `wss://127.0.0.1:${t.cloud.ports.hub}`;
    joinUrl = `https://127.0.0.1:${t.cloud.ports.join}`;
  });
  afterAll(() => t.stop());

  it('closes a connection when its certificate expires (4003)', async () => {
    await joinAs('short-1');
    const started = Date.now();
    const code = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${hub}/kedge/short-1/events`, creds('short-1'));
      ws.on('close', (c) => resolve(c));
      ws.on('error', reject);
    });
    expect(code).toBe(4003);
    expect(Date.now() - started).toBeGreaterThan(5_000); // at the certificate's end, not at once
  }, 30_000);

  it('renews over mutual TLS with the current certificate; a revoked node can neither renew nor connect', async () => {
    await joinAs('renew-1');
    const c = creds('renew-1');
    const renewed = await requestCertificate(joinUrl, JOIN_PATHS.renew, 'renew-1', { timeoutMs: 10_000, ...c });
    expect(renewed.certificate).not.toBe(c.cert);
    await expect(requestCertificate(joinUrl, JOIN_PATHS.renew, 'other-1', { timeoutMs: 10_000, ...c })).rejects.toThrow(
      /node renew-1 asked for a certificate for node other-1/,
    );
    await expect(
      requestCertificate(joinUrl, JOIN_PATHS.renew, 'renew-1', { timeoutMs: 10_000, ca: c.ca }),
    ).rejects.toThrow(/KEDGE_JOIN_NOT_AUTHENTICATED|renewal refused/);
    const del = await fetch(`${t.api}/api/v1/nodes/renew-1`, { method: 'DELETE' });
    expect(await del.json()).toMatchObject({ revoked: 2 });
    await expect(requestCertificate(joinUrl, JOIN_PATHS.renew, 'renew-1', { timeoutMs: 10_000, ...c })).rejects.toThrow(
      /was revoked/,
    );
  }, 30_000);
});
