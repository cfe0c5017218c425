import { Store, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';
import { Backoff, withTimeout } from '../../core/async/index.js';
import { errorText } from '../../core/errors/index.js';
import type { JournalPacket, JournalRecord, PublishJournal } from '../store/index.js';
import { connectMqtt } from './broker.js';
import { cloudMqttErrors } from './errors.js';

type Callback = (err?: Error) => void;

/** Retries of a release mark etcd did not take: 100 ms, doubling, at most 2 s. */
const RELEASE_MARK_BACKOFF = { initialMs: 100, maxMs: 2000 };
interface Owner {
  journal: PublishJournal;
  session: string;
  /** packet id -> the message it belongs to, while in flight. */
  byMid: Map<number, { node: string; msgId: string }>;
  /** While set, QoS 2 PUBLISH packets are held here instead of being written (see publishOnce). */
  collecting: Array<{ packet: IPublishPacket; release: () => void }> | undefined;
  log: Logger;
  /** The session was closed: a late journal answer must not touch mqtt.js's closed store. */
  closed: boolean;
}

/**
 * mqtt.js's outgoing store with the journal in front: a PUBLISH being collected is held until
 * the journal recorded its message, a PUBREL is written only once the journal marked its packet
 * released (mqtt.js writes a packet after the store's callback).
 */
class JournalStore extends Store {
  constructor(private readonly owner: Owner) {
    super();
  }

  override put(packet: Packet, cb: Callback): this {
    const o = this.owner;
    if (packet.cmd === 'publish' && packet.qos === 2 && o.collecting) {
      o.collecting.push({ packet, release: () => super.put(packet, cb) });
      return this;
    }
    const ctx = packet.cmd === 'pubrel' && packet.messageId !== undefined ? o.byMid.get(packet.messageId) : undefined;
    if (!ctx) return super.put(packet, cb);
    const backoff = new Backoff(RELEASE_MARK_BACKOFF);
    const mark = (): void => {
      if (o.closed) return;
      o.journal.released(o.session, ctx.node, ctx.msgId, packet.messageId!).then(
        () => {
          if (!o.closed) super.put(packet, cb);
        },
        (err: unknown) => {
          // Without the mark the PUBREL may not go: retry; the session is replaced when etcd stays away.
          o.log.warn({ err: errorText(err), attempt: backoff.attempts }, 'release mark not written; retrying');
          setTimeout(mark, backoff.next());
        },
      );
    };
    mark();
    return this;
  }

  get size(): number {
    return (this as unknown as { _inflights: Map<number, Packet> })._inflights.size;
  }
}

export interface OnceSessionOptions {
  url: string;
  journal: PublishJournal;
  /** The MQTT client id, also the session's name in the journal. */
  session: string;
  logger: Logger;
  connectTimeoutMs: number;
  /** How long a message's publishes may take before the handler fails (the edge then resends). */
  publishTimeoutMs?: number;
}

/**
 * Exactly-once publishing to an external broker across replica crashes, on MQTT's own QoS 2:
 * a persistent session (clean: false) per replica process, and its QoS 2 state in the journal.
 * For one edge message: its publishes get packet ids, the journal records message and packets
 * and marks the message handled (one write), then the packets go out; before each PUBREL the
 * journal marks the packet released. The broker delivers a QoS 2 message once, at PUBREL, and
 * keeps an unreleased one with the session; so whoever completes a dead replica's session
 * (`completeSession`) delivers each reading exactly once.
 */
export class OnceSession {
  private client: MqttClient | undefined;
  private readonly owner: Owner;

  constructor(private readonly options: OnceSessionOptions) {
    this.owner = {
      journal: options.journal,
      session: options.session,
      byMid: new Map(),
      collecting: undefined,
      log: options.logger,
      closed: false,
    };
  }

  get session(): string {
    return this.options.session;
  }

  async start(): Promise<void> {
    this.client = await connectMqtt(
      this.options.url,
      { clientId: this.options.session, clean: false, outgoingStore: new JournalStore(this.owner) },
      this.options.connectTimeoutMs,
    );
  }

  async stop(): Promise<void> {
    this.owner.closed = true;
    const c = this.client;
    this.client = undefined;
    await c?.endAsync(true);
  }

  /** Publishes `items` (QoS 2) exactly once for the edge message `msgId` of `node`. */
  async publishOnce(node: string, msgId: string, items: Array<{ topic: string; payload: Buffer }>): Promise<void> {
    const client = this.client;
    const busy = client as unknown as { _storeProcessing?: boolean; _storeProcessingQueue?: unknown[] } | undefined;
    if (!client?.connected || busy?._storeProcessing || (busy?._storeProcessingQueue?.length ?? 0) > 0)
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `message ${msgId} of ${node} not published: the broker is not connected`,
      );
    const collected: NonNullable<Owner['collecting']> = [];
    const done: Array<Promise<void>> = [];
    this.owner.collecting = collected;
    try {
      for (const it of items)
        done.push(
          new Promise((resolve, reject) =>
            client.publish(it.topic, it.payload, { qos: 2 }, (err) => (err ? reject(err) : resolve())),
          ),
        );
    } finally {
      this.owner.collecting = undefined;
    }
    const abandon = (why: unknown) => {
      for (const c of collected) client.removeOutgoingMessage(c.packet.messageId!);
      for (const d of done) d.catch(() => {});
      return why;
    };
    if (collected.length !== items.length) throw abandon(new Error('the client queued publishes: not connected'));
    const packets: JournalPacket[] = collected.map((c) => ({
      mid: c.packet.messageId!,
      topic: c.packet.topic,
      payload: c.packet.payload.toString(),
    }));
    for (const p of packets) this.owner.byMid.set(p.mid, { node, msgId });
    try {
      await this.options.journal.begin(this.session, node, msgId, packets);
    } catch (err) {
      for (const p of packets) this.owner.byMid.delete(p.mid);
      throw abandon(err);
    }
    for (const c of collected) c.release();
    try {
      await withTimeout(
        Promise.all(done),
        this.options.publishTimeoutMs ?? 30_000,
        `publishes of message ${msgId} not completed`,
      );
    } finally {
      for (const p of packets) this.owner.byMid.delete(p.mid);
    }
    this.options.journal
      .end(this.session, node, msgId)
      .catch((err: unknown) => this.options.logger.debug({ err: errorText(err), msgId }, 'journal record not ended'));
  }
}

/**
 * Completes a dead replica's session: resumes it at the broker (same client id, clean: false)
 * with its journal records as the outgoing store (released packets as PUBREL, the others as
 * PUBLISH with their packet ids), waits until the broker completed every one, then drops the
 * records and the session.
 */
export async function completeSession(options: {
  url: string;
  journal: PublishJournal;
  session: string;
  logger: Logger;
  connectTimeoutMs: number;
  timeoutMs?: number;
}): Promise<number> {
  const { journal, session } = options;
  const records = await journal.records(session);
  const owner: Owner = {
    journal,
    session,
    byMid: new Map(),
    collecting: undefined,
    log: options.logger,
    closed: false,
  };
  const store = new JournalStore(owner);
  let count = 0;
  for (const r of records)
    for (const p of r.packets) {
      owner.byMid.set(p.mid, { node: r.node, msgId: r.msgId });
      Store.prototype.put.call(store, packetOf(p), () => {});
      count++;
    }
  if (count > 0) {
    const client = await connectMqtt(
      options.url,
      { clientId: session, clean: false, outgoingStore: store },
      options.connectTimeoutMs,
    );
    try {
      const end = Date.now() + (options.timeoutMs ?? 30_000);
      while (store.size > 0) {
        if (Date.now() > end) throw new Error(`${store.size} packets of session ${session} not completed`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      owner.closed = true;
      await client.endAsync(true);
    }
  }
  await journal.clear(session);
  // A clean connect ends the session at the broker.
  const clean = await connectMqtt(
    options.url,
    { clientId: session, clean: true, outgoingStore: new Store() },
    options.connectTimeoutMs,
  );
  await clean.endAsync(true);
  return count;
}

function packetOf(p: JournalRecord['packets'][number]): Packet {
  if (p.released) return { cmd: 'pubrel', messageId: p.mid } as Packet;
  return {
    cmd: 'publish',
    qos: 2,
    dup: true,
    retain: false,
    topic: p.topic,
    payload: Buffer.from(p.payload),
    messageId: p.mid,
  } as Packet;
}
