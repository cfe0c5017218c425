import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { unavailable } from '../etcd/index.js';
import { cloudStoreErrors } from './errors.js';
import { tokenRefusal } from './pki-token.js';
import type { IssuedCertificate, PkiStateStore, StoredCa, StoredJoinToken, TokenRefusal } from './types.js';

/** Attempts of a token's read-check-write before giving up to a storm of concurrent joins. */
const MAX_ATTEMPTS = 16;

interface StoredCert extends IssuedCertificate {
  revokedAt?: number;
}

/**
 * The CA's state in etcd, shared by every cloud replica (types.ts, PkiStateStore), under
 * `<prefix>pki/`: `ca` (certificate and key, PEM), `token/<id>`, `cert/<node>/<serial>` and
 * `revoked/<serial>` (= the node and the certificate's end). A token's use is a compare-and-swap
 * on its mod revision; a revocation is one transaction, and every replica watches `revoked/`.
 */
export class EtcdPkiState implements PkiStateStore {
  private readonly p: string;
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly client: Etcd3,
    prefix = '/kedge/',
  ) {
    this.p = `${prefix}pki/`;
  }

  async sharedCa(create: () => Promise<Omit<StoredCa, 'source'>>): Promise<StoredCa> {
    const key = `${this.p}ca`;
    const source = `etcd ${key}`;
    const kept = await this.call('the CA', () => this.client.get(key).string());
    if (kept) return { ...(JSON.parse(kept) as Omit<StoredCa, 'source'>), source };
    const made = await create();
    const res = await this.call('storing the CA', () =>
      this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(JSON.stringify({ certPem: made.certPem, keyPem: made.keyPem })))
        .else(this.client.get(key))
        .commit(),
    );
    if (res.succeeded) return { ...made, source: `created in ${source}` };
    // Another replica stored its CA first: use that one.
    const theirs = res.responses[0]?.response_range?.kvs[0]?.value.toString();
    if (!theirs) throw unavailable(`etcd PKI state: the CA at ${key}`, new Error('written and gone'));
    return { ...(JSON.parse(theirs) as Omit<StoredCa, 'source'>), source };
  }

  async addToken(t: StoredJoinToken): Promise<void> {
    const key = `${this.p}token/${t.id}`;
    const res = await this.call(`token ${t.id}`, () =>
      this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(JSON.stringify(t)))
        .commit(),
    );
    if (!res.succeeded) throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_EXISTS', `join token ${t.id} exists`);
  }

  async useToken(id: string, secretSha256: string, now: number): Promise<TokenRefusal | undefined> {
    const key = `${this.p}token/${id}`;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const res = await this.call(`token ${id}`, () => this.client.get(key).exec());
      const kv = res.kvs[0];
      const token = kv ? (JSON.parse(kv.value.toString()) as StoredJoinToken) : undefined;
      const why = tokenRefusal(token, secretSha256, now);
      if (why !== undefined || !kv || !token) return why;
      const next = { ...token, usesLeft: token.usesLeft - 1 };
      const swapped = await this.call(`use of token ${id}`, () =>
        this.client
          .if(key, 'Mod', '==', kv.mod_revision)
          .then(this.client.put(key).value(JSON.stringify(next)))
          .commit(),
      );
      if (swapped.succeeded) return undefined;
    }
    throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_CONFLICT', `join token ${id}: too many joins at once`);
  }

  async recordCertificate(c: IssuedCertificate): Promise<void> {
    const stored: StoredCert = { serial: c.serial, node: c.node, issuedAt: c.issuedAt, notAfter: c.notAfter };
    await this.call(`certificate ${c.serial} of ${c.node}`, () =>
      this.client.put(`${this.p}cert/${c.node}/${c.serial}`).value(JSON.stringify(stored)).exec(),
    );
  }

  async activeCertificate(node: string, now: number): Promise<{ serial: string; notAfter: number } | undefined> {
    const best = (await this.certsOf(node))
      .filter((c) => c.revokedAt === undefined && c.notAfter > now)
      .sort((a, b) => b.notAfter - a.notAfter)[0];
    return best && { serial: best.serial, notAfter: best.notAfter };
  }

  async revokeNode(node: string, now: number): Promise<string[]> {
    const live = (await this.certsOf(node)).filter((c) => c.revokedAt === undefined && c.notAfter > now);
    if (live.length === 0) return [];
    // One transaction (etcd takes up to 128 operations; a node has one live certificate, two
    // while it renews).
    await this.call(`revocation of ${node}`, () =>
      this.client
        .if(`${this.p}cert/${node}/`, 'Create', '>', -1)
        .then(
          ...live.flatMap((c) => [
            this.client.put(`${this.p}cert/${node}/${c.serial}`).value(JSON.stringify({ ...c, revokedAt: now })),
            this.client.put(`${this.p}revoked/${c.serial}`).value(JSON.stringify({ node, notAfter: c.notAfter })),
          ]),
        )
        .commit(),
    );
    return live.map((c) => c.serial);
  }

  async watchRevocations(
    now: number,
    handler: (node: string, serials: string[]) => void,
  ): Promise<{ revoked: string[]; stop(): void }> {
    const prefix = `${this.p}revoked/`;
    const res = await this.call('revoked certificates', () => this.client.getAll().prefix(prefix).exec());
    const revoked = res.kvs
      .filter((kv) => (JSON.parse(kv.value.toString()) as { notAfter: number }).notAfter > now)
      .map((kv) => kv.key.toString().slice(prefix.length));
    const watcher = await this.call('watch of revocations', () =>
      this.client
        .watch()
        .prefix(prefix)
        .startRevision(String(Number(res.header.revision) + 1))
        .create(),
    );
    this.watchers.add(watcher);
    // One transaction revokes all of a node's certificates: its events arrive in one response.
    watcher.on('data', (batch: { events: Array<{ type: string; kv: IKeyValue }> }) => {
      const byNode = new Map<string, string[]>();
      for (const e of batch.events) {
        if (e.type !== 'Put') continue;
        const { node } = JSON.parse(e.kv.value.toString()) as { node: string };
        byNode.set(node, [...(byNode.get(node) ?? []), e.kv.key.toString().slice(prefix.length)]);
      }
      for (const [node, serials] of byNode) handler(node, serials);
    });
    watcher.on('error', () => undefined); // etcd3 re-establishes the watch itself
    return {
      revoked,
      stop: () => {
        this.watchers.delete(watcher);
        void watcher.cancel().catch(() => undefined);
      },
    };
  }

  private async certsOf(node: string): Promise<StoredCert[]> {
    const res = await this.call(`certificates of ${node}`, () =>
      this.client.getAll().prefix(`${this.p}cert/${node}/`).exec(),
    );
    return res.kvs.map((kv) => JSON.parse(kv.value.toString()) as StoredCert);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(`etcd PKI state: ${what}`, err);
    }
  }
}
