import { WebSocket } from 'ws';
import { LogsRoute, checkLogsRequest, logsError, type EdgeChannels, type EdgeRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { newMessage, parseResource, serializeMessage, type Message } from '../../core/message/index.js';
import { edgehubErrors } from './errors.js';

/** A stream whose socket holds more than this unsent is ended: the link cannot keep up with it. */
const MAX_BUFFERED = 8 * 1024 * 1024;

interface Stream {
  ws: WebSocket;
  resource: string;
}

/**
 * The edge end of Pod log streams (docs/link.md, "Pod logs"): a `logs`/`start` from the cloud
 * becomes `logs.start` for Edged, whose `logs.data`/`logs.end` go straight back on the socket the
 * request came on (never through the outbox: a stream is live). A closed link stops its streams.
 */
export class LogRelay {
  private readonly streams = new Map<string, Stream>();
  private readonly undo: Array<() => void>;

  constructor(
    private readonly bus: Bus<EdgeChannels, EdgeRequests>,
    private readonly node: string,
    private readonly now: () => number,
    private readonly send: (ws: WebSocket, text: string) => void,
  ) {
    const me = { name: 'edgehub-logs', group: 'hub' };
    this.undo = [
      bus.subscribe('logs.data', me, (e) => this.reply(e.streamId, LogsRoute.data, { data: e.data })),
      bus.subscribe('logs.end', me, (e) => {
        this.reply(e.streamId, LogsRoute.end, e.error ? { error: e.error } : {});
        this.streams.delete(e.streamId);
      }),
    ];
  }

  static isLogs(msg: Message): boolean {
    return msg.route.group === LogsRoute.group;
  }

  onFrame(ws: WebSocket, msg: Message): void {
    const id = msg.header.msg_id;
    if (msg.route.operation === LogsRoute.stop) {
      const parent = msg.header.parent_msg_id ?? '';
      if (this.streams.delete(parent)) this.bus.publish('logs.stop', { streamId: parent });
      return;
    }
    if (msg.route.operation !== LogsRoute.start) return;
    const resource = msg.route.resource ?? '';
    const res = parseResource(resource);
    this.streams.set(id, { ws, resource });
    const checked = checkLogsRequest(msg.content);
    if (!res?.name || res.type !== 'pod' || !checked.ok) {
      const why = checked.ok ? `resource ${resource} is not node/<node>/<namespace>/pod/<name>` : checked.reason;
      this.bus.publish('logs.end', {
        streamId: id,
        error: logsError(edgehubErrors.create('KEDGE_EDGEHUB_BAD_LOGS', `log request ${id}: ${why}`)),
      });
      return;
    }
    this.bus.publish('logs.start', { streamId: id, namespace: res.namespace, name: res.name, ...checked.value });
  }

  /** The link closed: its streams can never be delivered. */
  closed(ws: WebSocket): void {
    for (const [id, s] of [...this.streams]) {
      if (s.ws !== ws) continue;
      this.streams.delete(id);
      this.bus.publish('logs.stop', { streamId: id });
    }
  }

  stop(): void {
    for (const u of this.undo) u();
    for (const id of this.streams.keys()) this.bus.publish('logs.stop', { streamId: id });
    this.streams.clear();
  }

  private reply(streamId: string, operation: string, content: unknown): void {
    const s = this.streams.get(streamId);
    if (!s || s.ws.readyState !== WebSocket.OPEN) return;
    if (operation === LogsRoute.data && s.ws.bufferedAmount > MAX_BUFFERED) {
      this.streams.delete(streamId);
      this.bus.publish('logs.stop', { streamId });
      operation = LogsRoute.end;
      content = {
        error: logsError(
          edgehubErrors.create('KEDGE_EDGEHUB_LOGS_TOO_SLOW', 'the link could not keep up with this log stream; ended'),
        ),
      };
    }
    const route = { source: 'edged', group: LogsRoute.group, operation, resource: s.resource || `node/${this.node}` };
    this.send(s.ws, serializeMessage(newMessage(route, content, { parentId: streamId, now: this.now() })));
  }
}
