import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudChannels, CloudRequests, DownstreamItem } from '../../contracts/index.js';
import { Bus } from '../../core/bus/index.js';
import { silentLogger } from '../../core/log/index.js';
import { newMessage } from '../../core/message/index.js';
import { SqliteLinkState, SqliteObjectStore, type StoredObject } from '../store/index.js';
import { PodController } from './index.js';

const pod = (name: string, node: string, image = 'app:1'): StoredObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: node, containers: [{ name: 'app', image }] },
});
const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const status = { phase: 'Running', conditions: [], containerStatuses: [] };

describe('PodController', () => {
  let store: SqliteObjectStore;
  let linkState: SqliteLinkState;
  let bus: Bus<CloudChannels, CloudRequests>;
  let pc: PodController;
  let sent: DownstreamItem[];

  beforeEach(() => {
    store = new SqliteObjectStore({ file: ':memory:' });
    linkState = new SqliteLinkState(store.database);
    bus = new Bus({ logger: silentLogger() });
    sent = [];
    bus.subscribe('link.send', { name: 't', group: 't' }, (i) => void sent.push(i));
    pc = new PodController({ bus, store, linkState, logger: silentLogger() });
  });

  afterEach(async () => {
    await pc.stop();
    await store.close();
  });

  const ops = () => sent.map((i) => [i.message.route.operation, i.message.route.resource]);
  const connect = async (node: string) => {
    bus.publish('link.connected', { node, ts: Date.now() });
    await flush();
  };

  it('sends a node the Pods bound to it, their changes, a move and a deletion; not status writes', async () => {
    await store.create(pod('a', 'edge-1'));
    await store.create(pod('nowhere', ''));
    await pc.start();
    expect(ops()).toEqual([]); // sent by the replica holding the node's connection, once it connects
    await connect('edge-1');
    await connect('edge-2');
    expect(ops()).toEqual([['insert', 'node/edge-1/default/pod/a']]);
    expect(sent[0]!.message.content).not.toHaveProperty('status');
    const a = (await store.get('Pod', 'default', 'a'))!;
    await store.updateStatus('Pod', 'default', 'a', status);
    await store.update({ ...pod('a', 'edge-1', 'app:2'), metadata: { ...a.metadata, resourceVersion: undefined } });
    await flush();
    expect(ops().slice(1)).toEqual([['update', 'node/edge-1/default/pod/a']]);
    await store.update({ ...pod('a', 'edge-2', 'app:2'), metadata: { name: 'a', namespace: 'default' } });
    await flush();
    expect(ops().slice(2)).toEqual([
      ['delete', 'node/edge-1/default/pod/a'],
      ['insert', 'node/edge-2/default/pod/a'],
    ]);
    expect(sent[2]!.remove).toBe(true);
    await store.delete('Pod', 'default', 'a');
    await flush();
    expect(ops().at(-1)).toEqual(['delete', 'node/edge-2/default/pod/a']);
  });

  it('after a restart resends only what the node did not acknowledge', async () => {
    await store.create(pod('a', 'edge-1'));
    await store.create(pod('b', 'edge-1'));
    await pc.start();
    await connect('edge-1');
    expect(ops()).toHaveLength(2);
    await linkState.setAcked('edge-1', sent[0]!.key, sent[0]!.token);
    await linkState.setAcked('edge-1', 'device/default/d1', 'x'); // another controller's object: not touched
    await pc.stop();
    sent = [];
    pc = new PodController({ bus, store, linkState, logger: silentLogger() });
    await pc.start();
    await connect('edge-1');
    expect(ops()).toEqual([['insert', 'node/edge-1/default/pod/b']]);
  });

  it('sends nothing to a node after it disconnects; reads what it acknowledged when it comes back', async () => {
    await store.create(pod('a', 'edge-1'));
    await pc.start();
    await connect('edge-1');
    await linkState.setAcked('edge-1', sent[0]!.key, sent[0]!.token);
    bus.publish('link.disconnected', { node: 'edge-1', reason: 'gone', ts: Date.now() });
    await store.create(pod('b', 'edge-1'));
    await flush();
    expect(ops()).toEqual([['insert', 'node/edge-1/default/pod/a']]);
    await connect('edge-1');
    expect(ops().slice(1)).toEqual([['insert', 'node/edge-1/default/pod/b']]);
  });

  it("writes a node's status into its Pod; drops one for an older Pod of the name or another node", async () => {
    const created = await store.create(pod('a', 'edge-1'));
    await pc.start();
    await connect('edge-1');
    const report = (node: string, uid: string, phase = 'Running') =>
      bus.request('upstream.podstatus', {
        node,
        message: newMessage(
          { operation: 'update', resource: `node/${node}/default/podstatus/a` },
          { uid, status: { ...status, phase }, ts: 1 },
        ),
        resource: { namespace: 'default', type: 'podstatus', name: 'a' },
      });
    expect(await report('edge-1', created.metadata.uid!)).toEqual({ ok: true });
    expect((await store.get('Pod', 'default', 'a'))!.status).toMatchObject({ phase: 'Running' });
    expect(await report('edge-1', 'an-older-uid', 'Failed')).toEqual({ ok: true });
    expect(await report('edge-9', created.metadata.uid!, 'Failed')).toEqual({ ok: true });
    expect((await store.get('Pod', 'default', 'a'))!.status).toMatchObject({ phase: 'Running' });
    const bad = await bus.request('upstream.podstatus', {
      node: 'edge-1',
      message: newMessage({ operation: 'update', resource: 'x' }, { uid: 'u', status: { phase: 'Sleeping' } }),
      resource: { namespace: 'default', type: 'podstatus', name: 'a' },
    });
    expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/^content field \//) });
  });
});
