import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteLinkState, SqliteObjectStore } from '../store/index.js';
import { NodeObjects } from './index.js';

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('NodeObjects', () => {
  let store: SqliteObjectStore;
  let linkState: SqliteLinkState;
  let synced: Array<{ node: string; sent: Record<string, string> }>;
  let failures: string[];
  let objects: NodeObjects;

  beforeEach(() => {
    store = new SqliteObjectStore({ file: ':memory:' });
    linkState = new SqliteLinkState(store.database);
    synced = [];
    failures = [];
    objects = new NodeObjects({
      linkState,
      owns: (key) => key.startsWith('pod/'),
      sync: (node, sent) => {
        synced.push({ node, sent: Object.fromEntries(sent) });
        sent.set(`pod/default/p${synced.length}`, 'uid:1');
      },
      failed: (node, err) => failures.push(`${node}: ${(err as Error).message}`),
    });
  });

  afterEach(async () => {
    await objects.stop();
    await store.close();
  });

  it('starts a connected node from what it acknowledged, of its own kinds only, then from what was sent', async () => {
    await linkState.setAcked('n1', 'pod/default/old', 'uid:0');
    await linkState.setAcked('n1', 'device/default/d1', 'uid:3'); // another controller's
    objects.connectedNode('n1');
    objects.reconcile('n1');
    await flush();
    expect(synced).toEqual([
      { node: 'n1', sent: { 'pod/default/old': 'uid:0' } },
      { node: 'n1', sent: { 'pod/default/old': 'uid:0', 'pod/default/p1': 'uid:1' } },
    ]);
  });

  it('syncs only nodes this replica holds, and forgets what a node was sent when it goes', async () => {
    objects.reconcile('n2');
    await flush();
    expect(synced).toEqual([]);
    objects.connectedNode('n2');
    await flush();
    objects.disconnectedNode('n2');
    objects.reconcile('n2');
    objects.connectedNode('n2');
    await flush();
    expect(objects.has('n2')).toBe(true);
    // Read again from ObjectSync on the new connection: nothing was acknowledged there.
    expect(synced).toEqual([
      { node: 'n2', sent: {} },
      { node: 'n2', sent: {} },
    ]);
  });

  it('reports a sync that could not read ObjectSync (the node is synced again when it connects again)', async () => {
    await store.close();
    objects.connectedNode('n3');
    await flush();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^n3: /);
    store = new SqliteObjectStore({ file: ':memory:' });
  });
});
