import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorText, isKedgeError } from '../../core/errors/index.js';
import { startNode, type NodeHarness } from '../testing/index.js';

const TOKEN = 'edge-api-token-0123456789abcdef';

function tokenFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kedge-edge-token-')), 'token');
  writeFileSync(file, `${TOKEN}\n`);
  return file;
}

describe('edge HTTP API token (a standalone gateway dashboard reached from the plant network)', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const get = async (path: string, token?: string) => {
    const res = await fetch(`http://127.0.0.1:${h!.node.api.port}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    const body = await res.text();
    return { status: res.status, body };
  };

  it('wants the token from every request but /healthz and the dashboard files', async () => {
    h = await startNode({ apiTokenFile: tokenFile() });
    for (const path of ['/api/v1/devices', '/metrics', '/api/v1/events', '/api/v1/nodes']) {
      const refused = await get(path);
      expect(refused.status, path).toBe(401);
      expect(JSON.parse(refused.body).error.code).toBe('KEDGE_API_UNAUTHORIZED');
    }
    expect((await get('/api/v1/devices', 'not-the-token-0123456789')).status).toBe(401);
    expect((await get('/api/v1/devices', TOKEN)).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/ui/app.js">');
    expect((await get('/ui/app.js')).status).toBe(200);
  });

  it('refuses to listen on another address than loopback without a token', async () => {
    const err = await startNode({ apiHost: '0.0.0.0' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKedgeError(err) && err.code).toBe('KEDGE_API_OPEN_WITHOUT_TOKEN');
    expect(errorText(err)).toContain('the edge API on 0.0.0.0 needs --api-token-file');
  });

  it('listens on another address with a token', async () => {
    h = await startNode({ apiHost: '0.0.0.0', apiTokenFile: tokenFile() });
    expect((await get('/api/v1/devices', TOKEN)).status).toBe(200);
    expect((await get('/api/v1/devices')).status).toBe(401);
  });
});
