import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaConnection } from '../../mappers/opcua/connection.js';
import { openClientPki } from '../../mappers/opcua/pki.js';
import { ManualClock } from '../../src/core/clock/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { recorder, type Recorder } from './harness.js';

/** A loopback port nobody listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let rec: Recorder;
beforeAll(async () => {
  rec = await recorder();
});
afterAll(async () => {
  await rec?.cleanup();
});

describe('OpcuaConnection reconnect back-off', () => {
  it('retries after 100, 200, 400, 400 ms (doubling, capped) and stops retrying when closed', async () => {
    const clock = new ManualClock(0);
    const url = `opc.tcp://127.0.0.1:${await closedPort()}`;
    const connection = new OpcuaConnection(
      { url, securityPolicy: 'None', securityMode: 'None', timeoutMs: 2000, subscribe: true },
      {
        openPki: () => openClientPki(rec.ctx.dataDir, true),
        clock,
        logger: silentLogger(),
        backoff: { initialMs: 100, maxMs: 400 },
        onReconnect: () => undefined,
      },
    );
    const downs: string[] = [];
    await connection.attach('default/x', { up: async () => undefined, down: (reason) => downs.push(reason) });
    try {
      await rec.waitFor('the first failure', () => downs.length === 1);
      expect(downs[0]).toMatch(new RegExp(`^cannot connect to ${url.replace(/\./g, '\\.')} \\(no security\\): `));
      for (const [k, delay] of [100, 200, 400, 400].entries()) {
        expect(clock.pending).toBe(1);
        clock.advance(delay - 1);
        // One ms early: no new attempt has started, so no new failure can have been reported.
        await new Promise((r) => setTimeout(r, 50));
        expect(downs.length).toBe(k + 1);
        clock.advance(1);
        await rec.waitFor(`failure ${k + 2}`, () => downs.length === k + 2);
      }
      await connection.detach('default/x');
      expect(clock.pending).toBe(0);
    } finally {
      await connection.close();
    }
  });
});
