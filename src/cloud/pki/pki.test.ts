import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJoinToken, type CloudChannels, type CloudRequests } from '../../contracts/index.js';
import { Bus } from '../../core/bus/index.js';
import { silentLogger } from '../../core/log/index.js';
import { generateKeys, KEY_ALGORITHM, randomSerial, x509 } from '../../core/pki/index.js';
import { loadOrCreateCa } from './ca.js';
import { SqlitePkiState } from '../store/index.js';
import { CloudPki, normalSerial } from './pki.js';

let dir: string;
const states: SqlitePkiState[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kedge-pki-'));
});
afterEach(() => {
  for (const s of states.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CA's state of one cloud process: `<data-dir>/pki`, as the SQLite backend opens it. */
function localState(): SqlitePkiState {
  const state = new SqlitePkiState(join(dir, 'pki'));
  states.push(state);
  return state;
}

async function csrFor(cn: string): Promise<string> {
  const keys = await generateKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: KEY_ALGORITHM,
  });
  return csr.toString('pem');
}

function pki(clockNow = { t: Date.now() }) {
  const bus = new Bus<CloudChannels, CloudRequests>({ logger: silentLogger() });
  return new CloudPki({
    bus,
    state: localState(),
    nodeCertTtlMs: 3_600_000,
    serverNames: ['cloud.example'],
    logger: silentLogger(),
    clock: { now: () => clockNow.t, setTimeout, clearTimeout, setInterval, clearInterval } as never,
  });
}

describe('the cloud CA', () => {
  it('is created once in <data-dir>/pki with its key 0600, and loaded again with the same hash', async () => {
    const a = await loadOrCreateCa({ state: localState() });
    expect(statSync(join(dir, 'pki', 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'pki')).mode & 0o777).toBe(0o700);
    const b = await loadOrCreateCa({ state: localState() });
    expect(b.hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes a CA the user supplies (RSA, PKCS#1 key as openssl writes it) and refuses a key that is not its own', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const algo = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const { webcrypto } = await import('node:crypto');
    const keys = {
      privateKey: await webcrypto.subtle.importKey(
        'pkcs8',
        privateKey.export({ type: 'pkcs8', format: 'der' }),
        algo,
        true,
        ['sign'],
      ),
      publicKey: await webcrypto.subtle.importKey(
        'spki',
        publicKey.export({ type: 'spki', format: 'der' }),
        algo,
        true,
        ['verify'],
      ),
    } as import('../../core/pki/index.js').CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: 'CN=plant CA',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: algo,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    writeFileSync(join(dir, 'ca.crt'), cert.toString('pem'));
    writeFileSync(join(dir, 'ca.key'), keyPem);
    const ca = await loadOrCreateCa({
      state: localState(),
      certFile: join(dir, 'ca.crt'),
      keyFile: join(dir, 'ca.key'),
    });
    expect(ca.cert.subject).toBe('CN=plant CA');

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    });
    writeFileSync(join(dir, 'other.key'), other);
    await expect(
      loadOrCreateCa({ state: localState(), certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'other.key') }),
    ).rejects.toThrow(/other\.key is not the key of .*ca\.crt/);
    await expect(loadOrCreateCa({ state: localState(), certFile: join(dir, 'ca.crt') })).rejects.toThrow(
      /give both --ca-cert-file and --ca-key-file/,
    );
  });
});

describe('join tokens and node certificates', () => {
  it('a token joins up to its uses, until it expires; the certificate is CN=<node>, client auth only, signed by the CA', async () => {
    const now = { t: Date.now() };
    const p = pki(now);
    await p.start();
    try {
      const created = await p.createToken({ ttlMs: 60_000, uses: 2 });
      const tok = parseJoinToken(created.token)!;
      expect(tok.caHash).toBe(p.ca.hash);
      const a = await p.join(tok, 'node-a', await csrFor('node-a'));
      const cert = new X509Certificate(a.certificate);
      expect(cert.subject).toBe('CN=node-a');
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(cert.verify(new X509Certificate(p.ca.certPem).publicKey)).toBe(true);
      await p.join(tok, 'node-b', await csrFor('node-b'));
      await expect(p.join(tok, 'node-c', await csrFor('node-c'))).rejects.toThrow(/is used up/);

      const late = parseJoinToken((await p.createToken({ ttlMs: 1000, uses: 5 })).token)!;
      now.t += 1001;
      await expect(p.join(late, 'node-d', await csrFor('node-d'))).rejects.toThrow(/expired/);
      await expect(p.join({ ...late, secret: '0'.repeat(32) }, 'node-d', await csrFor('node-d'))).rejects.toThrow(
        /is not known/,
      );
    } finally {
      await p.stop();
    }
  });

  it('refuses a CSR for another name, a taken name, and a bad CSR, without using the token', async () => {
    const p = pki();
    await p.start();
    try {
      const tok = parseJoinToken((await p.createToken({ ttlMs: 60_000, uses: 1 })).token)!;
      await expect(p.join(tok, 'node-a', await csrFor('node-b'))).rejects.toThrow(
        /the CSR is for "CN=node-b", not CN=node-a/,
      );
      await expect(p.join(tok, 'node-a', 'garbage')).rejects.toThrow(/not a PKCS#10 request/);
      await p.join(tok, 'node-a', await csrFor('node-a'));
      const next = parseJoinToken((await p.createToken({ ttlMs: 60_000, uses: 1 })).token)!;
      await expect(p.join(next, 'node-a', await csrFor('node-a'))).rejects.toThrow(/already holds a certificate/);
      expect(await p.revokeNode('node-a')).toBe(1);
      await p.join(next, 'node-a', await csrFor('node-a')); // after revocation the name can join again
    } finally {
      await p.stop();
    }
  });

  it('keeps tokens, certificates and revocations across a restart; the token secret is not in the file', async () => {
    const p = pki();
    await p.start();
    const created = await p.createToken({ ttlMs: 60_000, uses: 1 });
    const tok = parseJoinToken(created.token)!;
    const joined = await p.join(tok, 'node-a', await csrFor('node-a'));
    await p.revokeNode('node-a');
    await p.stop();
    expect(readFileSync(join(dir, 'pki', 'pki.db')).includes(Buffer.from(tok.secret))).toBe(false);
    const again = pki();
    await again.start();
    try {
      await expect(again.join(tok, 'node-b', await csrFor('node-b'))).rejects.toThrow(/used up/);
      // The revocation holds after the restart.
      const kept = await localState().watchRevocations(Date.now(), () => undefined);
      expect(kept.revoked.map(normalSerial)).toEqual([
        normalSerial(new X509Certificate(joined.certificate).serialNumber),
      ]);
      kept.stop();
    } finally {
      await again.stop();
    }
  });
});
