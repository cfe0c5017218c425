import { afterEach, describe, expect, it } from 'vitest';
import type { EdgeChannels } from '../../contracts/index.js';
import { newMessage } from '../../core/message/index.js';
import { device, model, startNode, type NodeHarness } from '../testing/index.js';

const props = [{ name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' }];

describe('MetaManager', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('applies locally: models first, versions, unchanged on re-apply, device set announced', async () => {
    h = await startNode();
    const changes: EdgeChannels['devices.changed'][] = [];
    h.node.bus.subscribe('devices.changed', { name: 't', group: 't' }, (e) => void changes.push(e));
    const first = await h.node.bus.request('meta.apply', {
      documents: [device('d1', [{ name: 'temp' }]), model(props)],
    });
    expect(first.applied.map((a) => `${a.kind}:${a.action}`)).toEqual(['DeviceModel:created', 'Device:created']);
    expect(changes.at(-1)?.added).toEqual(['default/d1']);
    const again = await h.node.bus.request('meta.apply', {
      documents: [model(props), device('d1', [{ name: 'temp' }])],
    });
    expect(again.applied.map((a) => a.action)).toEqual(['unchanged', 'unchanged']);
    expect(changes).toHaveLength(1);
    expect((await h.node.bus.request('meta.devices', {})).map((d) => d.instance.id)).toEqual(['default/d1']);
  });

  it('rejects the whole request when one document is invalid, naming it', async () => {
    h = await startNode();
    const bad = device('d2', [{ name: 'nope' }]);
    await expect(h.node.bus.request('meta.apply', { documents: [model(props), bad, { kind: 'Pod' }] })).rejects.toThrow(
      /document 3 \(Pod[\s\S]*property nope is not declared/,
    );
    expect(await h.node.bus.request('meta.listModels', {})).toEqual([]);
    const badRules = model([
      {
        name: 'temp',
        type: 'FLOAT',
        accessMode: 'ReadOnly',
        cleansing: { range: { min: 5, max: 1, action: 'reject' } },
      },
    ]);
    await expect(h.node.bus.request('meta.apply', { documents: [badRules] })).rejects.toThrow(
      /property temp: cleansing: range.min/,
    );
  });

  it('refuses to delete a model in use (KEDGE_META_IN_USE) and a missing device (not found)', async () => {
    h = await startNode();
    await h.node.bus.request('meta.apply', { documents: [model(props), device('d1', [{ name: 'temp' }])] });
    await expect(
      h.node.bus.request('meta.delete', { kind: 'DeviceModel', namespace: 'default', name: 'm' }),
    ).rejects.toMatchObject({ code: 'KEDGE_META_IN_USE' });
    await expect(
      h.node.bus.request('meta.delete', { kind: 'Device', namespace: 'default', name: 'zz' }),
    ).rejects.toMatchObject({ code: 'KEDGE_META_NOT_FOUND' });
  });

  it('stores cloud objects with their resource version, acks them, and acks unknown resources with ok:false', async () => {
    h = await startNode();
    const msg = (op: string, resource: string, content: unknown, rv?: string) =>
      newMessage(
        { source: 'cloudhub', group: 'meta', operation: op, resource },
        content,
        rv ? { resourceVersion: rv } : {},
      );
    const m1 = msg('insert', 'node/n1/default/devicemodel/m', model(props), '41');
    const d1 = msg('insert', 'node/n1/default/device/d1', device('d1', [{ name: 'temp' }]), '42');
    h.node.bus.publish('cloud.inbound', m1);
    h.node.bus.publish('cloud.inbound', d1);
    await h.settle();
    expect(h.acks).toEqual([
      { parentMsgId: m1.header.msg_id, ok: true },
      { parentMsgId: d1.header.msg_id, ok: true },
    ]);
    expect(h.node.store.meta.get('device', 'default/device/d1')?.resourceVersion).toBe(42);
    expect((await h.node.bus.request('meta.devices', {})).map((d) => d.instance.id)).toEqual(['default/d1']);
    const bogus = msg('update', 'node/n1/default/pod/x', {});
    h.node.bus.publish('cloud.inbound', bogus);
    await h.settle();
    expect(h.acks.at(-1)).toMatchObject({
      parentMsgId: bogus.header.msg_id,
      ok: false,
      reason: expect.stringContaining('pod'),
    });
    const sets: unknown[] = [];
    h.node.bus.subscribe('mapperset.changed', { name: 't', group: 't' }, (s) => void sets.push(s));
    h.node.bus.publish(
      'cloud.inbound',
      msg('update', 'node/n1/default/mapperset/n1', { mappers: [{ name: 'mb', protocols: ['modbus'] }] }),
    );
    await h.settle();
    expect(sets).toEqual([{ mappers: [{ name: 'mb', protocols: ['modbus'] }] }]);
    h.node.bus.publish('cloud.inbound', msg('delete', 'node/n1/default/device/d1', null));
    await h.settle();
    expect(await h.node.bus.request('meta.devices', {})).toEqual([]);
  });

  it('checks what the cloud sends with the link schemas and refuses a bad content naming the field', async () => {
    h = await startNode();
    const msg = (op: string, resource: string, content: unknown) =>
      newMessage({ source: 'cloudhub', group: 'meta', operation: op, resource }, content);
    const sets: unknown[] = [];
    h.node.bus.subscribe('mapperset.changed', { name: 't', group: 't' }, (s) => void sets.push(s));
    const badSet = msg('update', 'node/n1/default/mapperset/n1', { mappers: [{ name: 'mb', protocols: 'modbus' }] });
    const badTwin = msg('update', 'node/n1/default/devicetwin/d1', { desired: { sp: 7 } });
    h.node.bus.publish('cloud.inbound', badSet);
    h.node.bus.publish('cloud.inbound', badTwin);
    await h.settle();
    expect(h.acks).toEqual([
      {
        parentMsgId: badSet.header.msg_id,
        ok: false,
        reason: expect.stringContaining('mapperset default/mapperset/n1: content field /mappers/0/protocols'),
      },
      {
        parentMsgId: badTwin.header.msg_id,
        ok: false,
        reason: expect.stringContaining('devicetwin default/d1: content field /desired/sp: Expected string'),
      },
    ]);
    expect(sets).toEqual([]);
  });

  it('ignores devices of other nodes in the device set but keeps them stored', async () => {
    h = await startNode();
    const other = device('d9', [{ name: 'temp' }]);
    other.spec.nodeName = 'other-node';
    const r = await h.node.bus.request('meta.apply', { documents: [model(props), other] });
    expect(r.warnings[0]).toContain('other-node');
    expect(await h.node.bus.request('meta.devices', {})).toEqual([]);
    expect((await h.node.bus.request('meta.listDevices', {})).map((d) => d.metadata.name)).toEqual(['d9']);
  });

  it('recomputes the device set once for a burst of cloud messages, not once per message', async () => {
    h = await startNode();
    const changes: EdgeChannels['devices.changed'][] = [];
    h.node.bus.subscribe('devices.changed', { name: 't', group: 't' }, (e) => void changes.push(e));
    const msg = (resource: string, content: unknown) =>
      newMessage({ source: 'cloudhub', group: 'meta', operation: 'insert', resource }, content);
    h.node.bus.publish('cloud.inbound', msg('node/n1/default/devicemodel/m', model(props)));
    for (let i = 0; i < 20; i++)
      h.node.bus.publish('cloud.inbound', msg(`node/n1/default/device/d${i}`, device(`d${i}`, [{ name: 'temp' }])));
    await h.settle();
    expect(h.acks).toHaveLength(21);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.added).toHaveLength(20);
  });
});
