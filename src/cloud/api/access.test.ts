import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, resolveTarget } from '../../client/index.js';
import { httpRequest } from '../../core/http-client/index.js';
import { generateKeys, KEY_ALGORITHM, privateKeyPem, randomSerial, x509 } from '../../core/pki/index.js';
import { startTestCloud } from '../testing/cloud-under-test.js';

const ADMIN = 'ad111ad111ad111ad111ad11';
const READ = 'feedfeedfeedfeedfeedfeed';
const METRICS = 'ba5eba11ba5eba11ba5eba11';

/** A self-signed certificate for 127.0.0.1 (what a user hands --api-tls-cert-file). */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=kedge api',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

describe('cloud HTTP API: admin, read-only and metrics tokens, over HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-api-access-'));
  let t: Awaited<ReturnType<typeof startTestCloud>>;
  let ca = '';
  let api = '';
  const call = (method: string, path: string, token?: string, body?: string) =>
    httpRequest({
      url: `${api}${path}`,
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
      tls: { ca },
      timeoutMs: 10_000,
    });

  beforeAll(async () => {
    const tls = await selfSigned();
    ca = tls.cert;
    for (const [f, text] of Object.entries({
      admin: ADMIN,
      read: READ,
      metrics: METRICS,
      'api.crt': tls.cert,
      'api.key': tls.key,
    }))
      writeFileSync(join(dir, f), `${text}\n`);
    t = await startTestCloud({
      apiTokenFile: join(dir, 'admin'),
      apiReadTokenFile: join(dir, 'read'),
      metricsTokenFile: join(dir, 'metrics'),
      apiTls: { certFile: join(dir, 'api.crt'), keyFile: join(dir, 'api.key') },
    });
    api = t.api.replace('http://', 'https://');
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS only', async () => {
    expect((await call('GET', '/healthz')).text).toBe('ok');
    await expect(httpRequest({ url: `${t.api}/healthz`, timeoutMs: 5000 })).rejects.toThrow();
  });

  it('the read-only token reads (and scrapes), is refused writes with 403; the metrics token only scrapes', async () => {
    expect((await call('GET', '/api/v1/devices', READ)).status).toBe(200);
    expect((await call('GET', '/metrics', READ)).status).toBe(200);
    const write = await call('POST', '/api/v1/apply', READ, '{"documents":[]}');
    expect(write.status).toBe(403);
    expect(JSON.parse(write.text).error).toMatchObject({
      code: 'KEDGE_API_FORBIDDEN',
      message: 'POST /api/v1/apply: the read-only token may only read',
    });
    expect((await call('DELETE', '/api/v1/nodes/x', READ)).status).toBe(403);
    const scrape = await call('GET', '/metrics', METRICS);
    expect(scrape.status).toBe(200);
    expect(scrape.text).toMatch(/kedge_api_requests_total/);
    expect((await call('GET', '/api/v1/devices', METRICS)).status).toBe(403);
    expect((await call('GET', '/metrics')).status).toBe(401);
    expect((await call('GET', '/metrics', 'wrong-wrong-wrong-wrong')).status).toBe(401);
  });

  it('the admin token does everything; the CLI client trusts the API CA from KEDGE_API_CA_FILE', async () => {
    expect((await call('POST', '/api/v1/apply', ADMIN, '{"documents":[]}')).status).toBe(200);
    const client = new ApiClient(
      resolveTarget({ server: api, tokenFile: join(dir, 'admin') }, { KEDGE_API_CA_FILE: join(dir, 'api.crt') }),
    );
    expect((await client.nodes()).items).toEqual([]);
    const untrusting = new ApiClient(resolveTarget({ server: api, tokenFile: join(dir, 'admin') }, {}));
    await expect(untrusting.nodes()).rejects.toMatchObject({ code: 'KEDGE_CLIENT_UNREACHABLE' });
  });

  it('refuses a read-only or metrics token without the admin token (the API would be open)', async () => {
    await expect(startTestCloud({ metricsTokenFile: join(dir, 'metrics') })).rejects.toThrow(
      /needs the admin token too/,
    );
  });
});
