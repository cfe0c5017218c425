import type { ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { type ResourceType, groupVersion, typeKey } from './resources.js';
import type { Matcher } from './selectors.js';
import { type Change, type ClusterState, ExpiredError, type Obj } from './state.js';

/**
 * One watch stream, as the API server writes it: one JSON event per line on a chunked 200
 * response. From resourceVersion "" or "0": synthetic ADDED events for what exists, then changes;
 * from a revision: the changes after it, or an ERROR event with a 410 Status when that revision
 * is compacted away. BOOKMARK events (when asked for) carry the revision the stream has reached;
 * an object that starts or stops matching the selectors arrives as ADDED or DELETED.
 */
export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  matches: Matcher;
  resourceVersion: string | null;
  bookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
  bookmarkIntervalMs: number;
  /** Refuse an expired revision with HTTP 410 instead of an ERROR event in the stream. */
  expiredAsHttpStatus: boolean;
  /** kubectl get -w asks for Tables: each event's object is a one-row Table. */
  asTable: ((o: Obj) => Obj) | undefined;
}

export interface ActiveWatch {
  type: ResourceType;
  end(): void;
}

export function serveWatch(state: ClusterState, req: WatchRequest, res: ServerResponse): ActiveWatch {
  const { type } = req;
  const inScope = (o: Obj | undefined): boolean =>
    !!o && (req.namespace === undefined || o.metadata?.namespace === req.namespace) && req.matches(o);
  const send = (eventType: string, object: Obj) => {
    const shown = { ...object, apiVersion: groupVersion(type) };
    const out = req.asTable && eventType !== 'ERROR' && eventType !== 'BOOKMARK' ? req.asTable(shown) : shown;
    res.write(`${JSON.stringify({ type: eventType, object: out })}\n`);
  };
  let backlog: Change[] = [];
  const rv = req.resourceVersion;
  const fromNow = rv === null || rv === '' || rv === '0';
  if (!fromNow) {
    try {
      backlog = state.since(typeKey(type), Number(rv));
    } catch (err) {
      if (!(err instanceof ExpiredError)) throw err;
      const gone = new ApiError(410, 'Expired', err.message);
      if (req.expiredAsHttpStatus) throw gone;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      send('ERROR', gone.status());
      res.end();
      return { type, end: () => {} };
    }
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  if (fromNow) {
    const existing = state
      .all(typeKey(type))
      .filter(inScope)
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    for (const o of existing) send('ADDED', o);
    if (req.sendInitialEvents && req.bookmarks)
      send('BOOKMARK', bookmark(type, state.rv, { 'k8s.io/initial-events-end': 'true' }));
  }
  const deliver = (c: Change) => {
    const was = inScope(c.before);
    const is = c.event !== 'DELETED' && inScope(c.object);
    if (c.event === 'DELETED') {
      if (was) send('DELETED', c.object);
    } else if (is) send(was ? 'MODIFIED' : 'ADDED', c.object);
    else if (was) send('DELETED', c.object);
  };
  for (const c of backlog) deliver(c);
  const unsubscribe = state.subscribe({ type: typeKey(type), onChange: deliver });
  const timers: NodeJS.Timeout[] = [];
  if (req.bookmarks) timers.push(setInterval(() => send('BOOKMARK', bookmark(type, state.rv)), req.bookmarkIntervalMs));
  if (req.timeoutSeconds !== undefined) timers.push(setTimeout(() => end(), req.timeoutSeconds * 1000));
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  res.on('close', end);
  return { type, end };
}

function bookmark(type: ResourceType, rv: number, annotations?: Record<string, string>): Obj {
  return {
    kind: type.kind,
    apiVersion: groupVersion(type),
    metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) },
  };
}
