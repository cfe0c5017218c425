import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, resolveTarget } from '../../client/index.js';
import { isKedgeError } from '../../core/errors/index.js';
import { startTestCloud } from '../testing/cloud-under-test.js';
import { isLoopback } from './api.js';

describe('cloud HTTP API with a token file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-api-token-'));
  const token = 'a11ce5a11ce5a11ce5a11ce5';
  let t: Awaited<ReturnType<typeof startTestCloud>>;

  beforeAll(async () => {
    writeFileSync(join(dir, 'token'), `${token}\n`);
    writeFileSync(join(dir, 'other'), 'b0bb0bb0bb0bb0bb0bb0bb0b\n');
    t = await startTestCloud({ apiTokenFile: join(dir, 'token') });
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz to anyone, everything else only with the token (401 with the code and what to do)', async () => {
    expect((await fetch(`${t.api}/healthz`)).status).toBe(200);
    const refused = await fetch(`${t.api}/api/v1/nodes`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string; hint: string } }).error).toMatchObject({
      code: 'KEDGE_API_UNAUTHORIZED',
      hint: expect.stringContaining('--token-file'),
    });
    expect((await fetch(`${t.api}/metrics`, { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status).toBe(
      401,
    );
    expect((await fetch(`${t.api}/api/v1/nodes`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('the CLI client sends the token of --token-file or KEDGE_API_TOKEN_FILE; without it the error says what to do', async () => {
    const withFlag = new ApiClient(resolveTarget({ server: t.api, tokenFile: join(dir, 'token') }, {}));
    expect((await withFlag.nodes()).items).toEqual([]);
    const withEnv = new ApiClient(resolveTarget({ server: t.api }, { KEDGE_API_TOKEN_FILE: join(dir, 'token') }));
    expect((await withEnv.devices()).items).toEqual([]);
    for (const target of [
      resolveTarget({ server: t.api }, {}),
      resolveTarget({ server: t.api, tokenFile: join(dir, 'other') }, {}),
    ]) {
      const err = await new ApiClient(target).nodes().catch((e: unknown) => e);
      expect(isKedgeError(err) && err.code).toBe('KEDGE_API_UNAUTHORIZED');
    }
    expect(() => resolveTarget({ tokenFile: join(dir, 'missing') }, {})).toThrow(/cannot read the token file/);
  });
});

describe('cloud HTTP API beyond loopback', () => {
  it('refuses to listen on 0.0.0.0 without a token (before listening), names what to do', async () => {
    await expect(startTestCloud({ apiHost: '0.0.0.0' })).rejects.toThrow(
      /module api failed to start: .*HTTP API on 0\.0\.0\.0 without --api-token-file/,
    );
    // (Accepting it with insecureApi would bind beyond loopback, which tests never do: the check below
    // is the whole difference.)
    expect(['127.0.0.1', '127.3.2.1', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.5', 'cloud.example'].some(isLoopback)).toBe(false);
  });

  it('closes a connection that sends nothing after cloud.idleTimeoutMs', async () => {
    const t = await startTestCloud({ idleTimeoutMs: 1000 });
    try {
      const { connect } = await import('node:net');
      const socket = connect(Number(new URL(t.api).port), '127.0.0.1');
      const started = Date.now();
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await t.stop();
    }
  });
});
