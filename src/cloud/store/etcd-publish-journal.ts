import type { Etcd3 } from 'etcd3';
import { unavailable } from '../etcd/index.js';
import type { JournalPacket, JournalRecord, PublishJournal } from './types.js';

/**
 * PublishJournal in etcd: `<prefix>q/<session>/o/<node>/<msgId>` holds a message's packets,
 * `<prefix>q/<session>/r/<node>/<msgId>/<mid>` marks a packet released. `begin` writes the
 * record together with the handled-id key of EtcdLinkState (`<prefix>l/handled/<node>/<msgId>`)
 * in one transaction. Release marks of one turn of the event loop go in one transaction.
 */
export class EtcdPublishJournal implements PublishJournal {
  private readonly q: string;
  private readonly handled: string;
  private marks: Array<{ key: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly client: Etcd3,
    prefix = '/kedge/',
  ) {
    this.q = `${prefix}q/`;
    this.handled = `${prefix}l/handled/`;
  }

  async begin(session: string, node: string, msgId: string, packets: JournalPacket[]): Promise<void> {
    const c = this.client;
    await this.call(`journal of message ${msgId} of ${node}`, () =>
      c
        .if(this.q, 'Create', '>', -1)
        .then(
          c.put(`${this.handled}${node}/${msgId}`).value('0'),
          c.put(this.record(session, node, msgId)).value(JSON.stringify(packets)),
        )
        .commit(),
    );
  }

  released(session: string, node: string, msgId: string, mid: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.marks.push({ key: `${this.q}${session}/r/${node}/${msgId}/${mid}`, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flushMarks());
    });
  }

  async end(session: string, node: string, msgId: string): Promise<void> {
    const c = this.client;
    await this.call(`end of message ${msgId} of ${node}`, () =>
      c
        .if(this.q, 'Create', '>', -1)
        .then(
          c.delete().key(this.record(session, node, msgId)),
          c.delete().prefix(`${this.q}${session}/r/${node}/${msgId}/`),
        )
        .commit(),
    );
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
          packets: JSON.parse(kv.value.toString()) as JournalRecord['packets'],
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

  private async flushMarks(): Promise<void> {
    this.scheduled = false;
    const marks = this.marks;
    this.marks = [];
    const c = this.client;
    for (let i = 0; i < marks.length; i += 100) {
      const chunk = marks.slice(i, i + 100);
      try {
        await this.call('release marks', () =>
          c
            .if(this.q, 'Create', '>', -1)
            .then(...chunk.map((m) => c.put(m.key).value('')))
            .commit(),
        );
        for (const m of chunk) m.resolve();
      } catch (err) {
        for (const m of chunk) m.reject(err);
      }
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(`etcd publish journal: ${what}`, err);
    }
  }
}
