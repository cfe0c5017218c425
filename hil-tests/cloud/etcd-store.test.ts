/**
 * The cloud store contract suites on a real 3-member etcd cluster (Debian's etcd 3.4), plus what
 * only etcd can show: a member killed (the store keeps serving), a compacted history, two
 * writers racing on one object, and a client cut off from every member (writes fail with
 * KEDGE_ETCD_UNAVAILABLE within the deadline instead of hanging).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd } from '../../src/cloud/etcd/index.js';
import {
  describeLinkStateContract,
  describeObjectStoreContract,
  describePkiStateContract,
} from '../../src/cloud/store/contract.js';
import { EtcdLinkState, EtcdObjectStore, EtcdPkiState, EtcdPublishJournal } from '../../src/cloud/store/index.js';
import { startEtcdCluster, type EtcdCluster } from '../support/etcd-cluster.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster();
});
afterAll(async () => {
  await cluster?.close();
});

/** Each store gets its own key prefix: the suites share one cluster. */
const prefix = () => `/t-${randomBytes(4).toString('hex')}/`;

describeObjectStoreContract('etcd (3 members)', async () => {
  const client = connectEtcd({ hosts: cluster.hosts });
  const store = new EtcdObjectStore({ client, prefix: prefix() });
  return {
    store,
    dispose: async () => {
      await store.close();
      client.close();
    },
  };
});

describeLinkStateContract('etcd (3 members)', async (windowSize) => {
  const client = connectEtcd({ hosts: cluster.hosts });
  return { state: new EtcdLinkState(client, prefix(), windowSize), dispose: async () => client.close() };
});

// Two replicas: each its own client, one prefix.
describePkiStateContract('etcd (3 members, two replicas)', async () => {
  const p = prefix();
  const clients = [connectEtcd({ hosts: cluster.hosts }), connectEtcd({ hosts: [...cluster.hosts].reverse() })];
  return {
    a: new EtcdPkiState(clients[0]!, p),
    b: new EtcdPkiState(clients[1]!, p),
    dispose: async () => {
      for (const c of clients) c.close();
    },
  };
});

describe('EtcdObjectStore on a cluster', () => {
  const thing = (name: string) => ({ kind: 'Thing', metadata: { name, namespace: 'default' }, spec: { n: 0 } });

  it('keeps serving reads, writes and watches while one member is down', async () => {
    const client = connectEtcd({ hosts: cluster.hosts, requestTimeoutMs: 2000 });
    const store = new EtcdObjectStore({ client, prefix: prefix() });
    const seen: string[] = [];
    const listed = await store.list('Thing');
    await store.watch('Thing', listed.resourceVersion, (e) => seen.push(`${e.type} ${e.object.metadata.name}`));
    await store.create(thing('before'));
    await cluster.kill(1);
    try {
      for (let i = 0; i < 20; i++) await store.create(thing(`during-${i}`));
      expect((await store.list('Thing')).items).toHaveLength(21);
      for (let i = 0; i < 100 && seen.length < 21; i++) await new Promise((r) => setTimeout(r, 50));
      expect(seen).toHaveLength(21);
      expect(seen[20]).toBe('ADDED during-19');
    } finally {
      await cluster.start(1);
      await store.close();
      client.close();
    }
  });

  it('two writers on one object: each update lands once, none is lost', async () => {
    const p = prefix();
    const clients = [connectEtcd({ hosts: cluster.hosts }), connectEtcd({ hosts: cluster.hosts })];
    const stores = clients.map((client) => new EtcdObjectStore({ client, prefix: p }));
    await stores[0]!.create({ ...thing('shared'), status: { hits: [] } });
    await Promise.all(
      stores.map(async (store, w) => {
        for (let i = 0; i < 15; i++) {
          for (;;) {
            const cur = (await store.get('Thing', 'default', 'shared'))!;
            const hits = [...(cur.status as { hits: string[] }).hits, `${w}-${i}`];
            try {
              await store.updateStatus('Thing', 'default', 'shared', { hits }, cur.metadata.resourceVersion);
              break;
            } catch (err) {
              expect((err as { code?: string }).code).toBe('KEDGE_CLOUD_STORE_CONFLICT');
            }
          }
        }
      }),
    );
    const final = (await stores[1]!.get('Thing', 'default', 'shared'))!;
    expect((final.status as { hits: string[] }).hits).toHaveLength(30);
    for (const c of clients) c.close();
  });

  it('answers KEDGE_CLOUD_STORE_EXPIRED for a watch from a compacted revision', async () => {
    const client = connectEtcd({ hosts: cluster.hosts });
    const store = new EtcdObjectStore({ client, prefix: prefix() });
    const a = await store.create(thing('a'));
    const b = await store.update({ ...a, spec: { n: 1 }, metadata: { ...a.metadata, resourceVersion: undefined } });
    await client.kv.compact({ revision: b.metadata.resourceVersion!, physical: true });
    await expect(store.watch('Thing', a.metadata.resourceVersion!, () => {})).rejects.toMatchObject({
      code: 'KEDGE_CLOUD_STORE_EXPIRED',
    });
    const h = await store.watch('Thing', b.metadata.resourceVersion!, () => {});
    h.stop();
    await store.close();
    client.close();
  });

  it('a client cut off from every member fails writes with KEDGE_ETCD_UNAVAILABLE within its deadline', async () => {
    const proxies = await Promise.all(
      cluster.members.map((m) => {
        const u = new URL(m.clientUrl);
        return startTcpProxy(u.hostname, Number(u.port));
      }),
    );
    const client = connectEtcd({ hosts: proxies.map((p) => p.url), requestTimeoutMs: 500 });
    const store = new EtcdObjectStore({ client, prefix: prefix() });
    await store.create(thing('a'));
    for (const p of proxies) p.cut();
    const t0 = Date.now();
    await expect(store.create(thing('b'))).rejects.toMatchObject({ code: 'KEDGE_ETCD_UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    for (const p of proxies) p.heal();
    await expect(store.get('Thing', 'default', 'a')).resolves.toMatchObject({ metadata: { name: 'a' } });
    await store.close();
    client.close();
    for (const p of proxies) await p.close();
  });
});

describe('EtcdPublishJournal on a cluster', () => {
  it('gives back what begin recorded with the released marks; a record it cannot read fails naming its key', async () => {
    const client = connectEtcd({ hosts: cluster.hosts });
    const p = prefix();
    const journal = new EtcdPublishJournal(client, p);
    try {
      await Promise.all([
        journal.begin('s1', 'edge-1', 'm1', [
          { mid: 1, topic: 'kedge/a', payload: '{"a":1}' },
          { mid: 2, topic: 'kedge/b', payload: '{}' },
        ]),
        journal.begin('s1', 'edge-1', 'm2', [{ mid: 3, topic: 'kedge/c', payload: '[]' }]),
      ]);
      await journal.released('s1', 'edge-1', 'm1', 2);
      expect(await journal.sessions()).toEqual(['s1']);
      // begin marks the message handled in the same transaction (the dedupe window of the link state)
      expect(await new EtcdLinkState(client, p).handledIds('edge-1')).toEqual(expect.arrayContaining(['m1', 'm2']));
      expect(await journal.records('s1')).toEqual([
        {
          node: 'edge-1',
          msgId: 'm1',
          packets: [
            { mid: 1, topic: 'kedge/a', payload: '{"a":1}', released: false },
            { mid: 2, topic: 'kedge/b', payload: '{}', released: true },
          ],
        },
        { node: 'edge-1', msgId: 'm2', packets: [{ mid: 3, topic: 'kedge/c', payload: '[]', released: false }] },
      ]);
      await journal.end('s1', 'edge-1', 'm2');
      expect((await journal.records('s1')).map((r) => r.msgId)).toEqual(['m1']);

      await client.put(`${p}q/s1/o/edge-1/m9`).value('[{"mid":0,"topic":"kedge/d"}]');
      await expect(journal.records('s1')).rejects.toMatchObject({
        code: 'KEDGE_CLOUD_STORE_UNREADABLE',
        message: expect.stringContaining(`publish journal record ${p}q/s1/o/edge-1/m9: field /0/`),
      });
      await journal.clear('s1');
      expect(await journal.sessions()).toEqual([]);
    } finally {
      client.close();
    }
  });
});
