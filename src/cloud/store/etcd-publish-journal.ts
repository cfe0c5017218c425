import type { Etcd3 } from 'etcd3';
import { GroupCommit } from '../../core/async/index.js';
import { JournalPacketsSchema, type JournalPacket } from '../../contracts/index.js';
import { jsonChecker } from '../../core/schema/index.js';
import { unavailable } from '../etcd/index.js';
import { cloudStoreErrors } from './errors.js';
import type { JournalRecord, PublishJournal } from './types.js';

type Op = ReturnType<Etcd3['put']> | ReturnType<Etcd3['delete']>;

/**
 * PublishJournal in etcd: `<prefix>q/<session>/o/<node>/<msgId>` holds a message's packets,
 * `<prefix>q/<session>/r/<node>/<msgId>/<mid>` marks a packet released. `begin` writes the
 * record together with the handled-id key of EtcdLinkState (`<prefix>l/handled/<node>/<msgId>`).
 * Writes are group-committed (core/async GroupCommit): what is asked in one turn of the event
 * loop goes in one transaction (several when more than 100 operations; one request's operations
 * never split), so the cost in etcd grows with turns, not with messages.
 */
export class EtcdPublishJournal implements PublishJournal {
  private readonly q: string;
  private readonly handled: string;
  /** One request's operations (one or two) are one item: never split across transactions. */
  private readonly commit: GroupCommit<Op[]>;

  constructor(
    private readonly client: Etcd3,
    /** Key prefix of this cloud (config cloud.etcdPrefix). */
    prefix: string,
  ) {
    this.q = `${prefix}q/`;
    this.handled = `${prefix}l/handled/`;
    this.commit = new GroupCommit({
      write: (requests) => this.transaction(requests.flat()),
      maxPerWrite: 100,
      weight: (ops) => ops.length,
      // A message's journal writes wait for the broker in between, so their order holds anyway; a
      // turn's transaction need not queue behind another (measured: queued, 2 replicas kept up less).
      overlap: true,
    });
  }

  begin(session: string, node: string, msgId: string, packets: JournalPacket[]): Promise<void> {
    const c = this.client;
    return this.commit.add([
      c.put(`${this.handled}${node}/${msgId}`).value('0'),
      c.put(this.record(session, node, msgId)).value(JSON.stringify(packets)),
    ]);
  }

  released(session: string, node: string, msgId: string, mid: number): Promise<void> {
    return this.commit.add([this.client.put(`${this.q}${session}/r/${node}/${msgId}/${mid}`).value('')]);
  }

  end(session: string, node: string, msgId: string): Promise<void> {
    const c = this.client;
    return this.commit.add([
      c.delete().key(this.record(session, node, msgId)),
      c.delete().prefix(`${this.q}${session}/r/${node}/${msgId}/`),
    ]);
  }

  async sessions(): Promise<string[]> {
    const keys = await this.call('journal sessions', () => this.client.getAll().prefix(this.q).keys());
    return [...new Set(keys.map((k) => k.slice(this.q.length).split('/')[0]!))];
  }

  async records(session: string): Promise<JournalRecord[]> {
    const base = `${this.q}${session}/`;
    const res = await this.call(`journal of session ${session}`, () => this.client.getAll().prefix(base).exec());
    const released = new Set<string>();
    const records: JournalRecord[] = [];
    for (const kv of res.kvs) {
      const [kind, node, msgId, mid] = kv.key.toString().slice(base.length).split('/');
      if (kind === 'r') released.add(`${node}/${msgId}/${mid}`);
      else if (kind === 'o')
        records.push({
          node: node!,
          msgId: msgId!,
          packets: readPackets(kv.key.toString(), kv.value).map((p) => ({ ...p, released: false })),
        });
    }
    for (const r of records) for (const p of r.packets) p.released = released.has(`${r.node}/${r.msgId}/${p.mid}`);
    return records;
  }

  async clear(session: string): Promise<void> {
    await this.call(`clear of session ${session}`, () => this.client.delete().prefix(`${this.q}${session}/`).exec());
  }

  private record(session: string, node: string, msgId: string): string {
    return `${this.q}${session}/o/${node}/${msgId}`;
  }

  private transaction(ops: Op[]): Promise<void> {
    return this.call(`${ops.length} journal operations`, async () => {
      await this.client
        .if(this.q, 'Create', '>', -1)
        .then(...ops)
        .commit();
    });
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(`etcd publish journal: ${what}`, err);
    }
  }
}

const checkPackets = jsonChecker(JournalPacketsSchema);

/** A record's publishes, or KEDGE_CLOUD_STORE_UNREADABLE naming the key and what is wrong. */
function readPackets(key: string, value: Buffer): JournalPacket[] {
  const r = checkPackets(value);
  if (!r.ok)
    throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_UNREADABLE', `publish journal record ${key}: ${r.reason}`);
  return r.value;
}
