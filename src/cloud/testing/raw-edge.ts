import { WebSocket } from 'ws';
import { DeviceColumnsBuilder, type ColumnValue } from '../../contracts/index.js';
import { newMessage, parseMessage, serializeMessage, type Message } from '../../core/message/index.js';
import type { Quality } from '../../model/index.js';

/** A reading as a consumer sees it on `kedge/telemetry/<ns>/<device>`. */
export interface TestReading {
  property: string;
  value: ColumnValue;
  unit?: string;
  quality: Quality;
  ts: number;
}

/** A raw edge for tests and the benchmark: a WebSocket that records every message it receives. */
export class RawEdge {
  readonly received: Message[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed = parseMessage(data as Buffer);
      if (parsed.ok) this.received.push(parsed.message);
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  static connect(
    port: number,
    node: string,
    project = 'kedge',
    headers: Record<string, string> = {},
  ): Promise<RawEdge> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/${project}/${node}/events`, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawEdge(ws)));
      ws.once('error', reject);
    });
  }

  send(message: Message): void {
    this.ws.send(serializeMessage(message));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  upload(node: string, resource: string, content: unknown, id?: string): Message {
    const msg = newMessage(
      { source: 'edgehub', group: 'hub', operation: 'update', resource: `node/${node}/${resource}` },
      content,
      id ? { id } : {},
    );
    this.send(msg);
    return msg;
  }

  /** Uploads readings of one device (`<namespace>/<name>`) as the edge does: column-wise. */
  telemetry(node: string, device: string, readings: TestReading[], id?: string): Message {
    const columns = new DeviceColumnsBuilder(device);
    for (const r of readings) columns.add(r.property, r.value, r.quality, r.ts, r.unit);
    const msg = newMessage(
      {
        source: 'edgehub',
        group: 'hub',
        operation: 'upload',
        resource: `node/${node}/default/telemetrycolumns/${node}`,
      },
      { devices: [columns.columns] },
      id ? { id } : {},
    );
    this.send(msg);
    return msg;
  }

  acksFor(id: string): Message[] {
    return this.received.filter((m) => m.route.operation === 'response' && m.header.parent_msg_id === id);
  }

  waitClosed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 0);
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }

  close(): void {
    this.ws.terminate();
  }
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The raw edges a test opened on a hub, all closed by closeAll() (in afterEach). */
export class RawEdges {
  private readonly opened: RawEdge[] = [];

  /** Opens a raw edge for `node`; with `ready` (default) resolves once the hub lists the node as connected. */
  async connect(
    hub: { port: number; connectedNodes: readonly string[] },
    node: string,
    ready = true,
  ): Promise<RawEdge> {
    const edge = await RawEdge.connect(hub.port, node);
    this.opened.push(edge);
    if (ready) await waitUntil(() => hub.connectedNodes.includes(node), `${node} connected`);
    return edge;
  }

  closeAll(): void {
    for (const e of this.opened.splice(0)) e.close();
  }
}
