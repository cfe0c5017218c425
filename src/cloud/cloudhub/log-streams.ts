import {
  LogsRoute,
  checkLogsData,
  checkLogsEnd,
  linkResource,
  LinkResource,
  type CloudChannels,
  type CloudRequests,
  logsError,
  type LogsError,
  type PodLogsOpen,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { newMessage, serializeMessage, type Message } from '../../core/message/index.js';
import { cloudhubErrors } from './errors.js';

interface Stream {
  node: string;
  /** The connection the stream was opened on: only on it can its text come. */
  owner: object;
  resource: string;
}

/**
 * Pod log streams through the link (docs/link.md, "Pod logs"): opened only while the node is
 * connected, never queued or persisted, ended by the node, by the reader (`podlogs.close`, which
 * tells the node to stop) or by the loss of the connection. At most `maxPerNode` per node.
 */
export class LogStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly bus: Bus<CloudChannels, CloudRequests>,
    private readonly now: () => number,
    private readonly maxPerNode = 16,
  ) {}

  /** Sends the request on `owner` (the node's connection); returns the stream's id. */
  open(req: PodLogsOpen, owner: object, write: (text: string) => void): { streamId: string } {
    const open = [...this.streams.values()].filter((s) => s.node === req.node).length;
    if (open >= this.maxPerNode)
      throw cloudhubErrors.create(
        'KEDGE_CLOUDHUB_TOO_MANY_CALLS',
        `node ${req.node} has ${open} log streams open (at most ${this.maxPerNode})`,
      );
    const resource = linkResource(req.node, req.namespace, LinkResource.pod, req.name);
    const content = {
      follow: req.follow,
      ...(req.container ? { container: req.container } : {}),
      ...(req.tailLines === undefined ? {} : { tailLines: req.tailLines }),
    };
    const message = newMessage(
      { source: 'cloudstream', group: LogsRoute.group, operation: LogsRoute.start, resource },
      content,
      {
        now: this.now(),
      },
    );
    this.streams.set(message.header.msg_id, { node: req.node, owner, resource });
    write(serializeMessage(message));
    return { streamId: message.header.msg_id };
  }

  /** A `logs` frame from a node. */
  onFrame(node: string, msg: Message): void {
    const id = msg.header.parent_msg_id ?? '';
    const s = this.streams.get(id);
    if (!s || s.node !== node) return; // closed meanwhile, or not this node's
    if (msg.route.operation === LogsRoute.data) {
      const data = checkLogsData(msg.content);
      if (data.ok) this.bus.publish('podlogs.data', { streamId: id, data: data.value.data });
      else this.end(id, malformed(`log text from node ${node}: ${data.reason}`));
    } else if (msg.route.operation === LogsRoute.end) {
      const end = checkLogsEnd(msg.content);
      this.end(id, end.ok ? end.value.error : malformed(`log end from node ${node}: ${end.reason}`));
    }
  }

  /** The reader went away: the node is told to stop (if `write` still reaches it). */
  close(streamId: string, write: ((text: string) => void) | undefined): void {
    const s = this.streams.get(streamId);
    if (!s) return;
    this.streams.delete(streamId);
    const route = { source: 'cloudstream', group: LogsRoute.group, operation: LogsRoute.stop, resource: s.resource };
    write?.(serializeMessage(newMessage(route, {}, { parentId: streamId, now: this.now() })));
  }

  ownerOf(streamId: string): { node: string; owner: object } | undefined {
    return this.streams.get(streamId);
  }

  /** The connection `owner` is gone: its streams end with that error. */
  failOwner(owner: object, reason: string): void {
    for (const [id, s] of [...this.streams])
      if (s.owner === owner)
        this.end(
          id,
          logsError(cloudhubErrors.create('KEDGE_CLOUDHUB_LINK_LOST', `the link to node ${s.node} closed (${reason})`)),
        );
  }

  private end(streamId: string, error: LogsError | undefined): void {
    if (!this.streams.delete(streamId)) return;
    this.bus.publish('podlogs.end', error ? { streamId, error } : { streamId });
  }
}

function malformed(message: string): LogsError {
  return logsError(cloudhubErrors.create('KEDGE_CLOUDHUB_MALFORMED_FRAME', message));
}
