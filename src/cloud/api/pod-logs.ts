import type { ServerResponse } from 'node:http';
import { apiErrors, type CloudChannels, type CloudRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { KedgeError } from '../../core/errors/index.js';
import type { ObjectStore } from '../store/index.js';

let next = 0;

/**
 * `GET /api/v1/pods/<ns>/<name>/log[?follow=true&container=c&tailLines=n]`: the container's log
 * from its node, through the link, as it comes (chunked text). An error before any text is the
 * API's usual error answer; one after it (the link dropped) ends the text with a line saying so.
 */
export async function streamPodLogs(
  bus: Bus<CloudChannels, CloudRequests>,
  store: ObjectStore,
  res: ServerResponse,
  namespace: string,
  name: string,
  query: URLSearchParams,
): Promise<void> {
  const pod = await store.get('Pod', namespace, name);
  if (!pod) throw apiErrors.create('KEDGE_API_NOT_FOUND', `Pod ${namespace}/${name} does not exist`);
  const node = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName;
  if (typeof node !== 'string' || node === '')
    throw apiErrors.create('KEDGE_API_BAD_REQUEST', `Pod ${namespace}/${name} has no spec.nodeName: it runs nowhere`);
  const tail = query.get('tailLines');
  if (tail !== null && !/^\d+$/.test(tail))
    throw apiErrors.create('KEDGE_API_BAD_REQUEST', `tailLines=${tail}: expected a whole number of lines`);
  const container = query.get('container') ?? undefined;
  const endpoint = { name: `api-logs-${++next}`, group: 'api' };
  let streamId: string | undefined;
  const early: Array<{ data?: string; end?: CloudChannels['podlogs.end'] }> = [];
  let deliver = (e: { data?: string; end?: CloudChannels['podlogs.end'] }) => void early.push(e);
  const offData = bus.subscribe('podlogs.data', endpoint, (e) => {
    if (e.streamId === streamId) deliver({ data: e.data });
  });
  const offEnd = bus.subscribe('podlogs.end', endpoint, (e) => {
    if (e.streamId === streamId) deliver({ end: e });
  });
  try {
    ({ streamId } = await bus.request('podlogs.open', {
      node,
      namespace,
      name,
      follow: query.get('follow') === 'true' || query.get('follow') === '1',
      ...(container ? { container } : {}),
      ...(tail === null ? {} : { tailLines: Number(tail) }),
    }));
  } catch (err) {
    offData();
    offEnd();
    throw err;
  }
  await new Promise<void>((resolve, reject) => {
    const finish = () => {
      offData();
      offEnd();
      resolve();
    };
    // The response's close: the reader went away (or the answer ended). The request's own close
    // only says its body was read.
    res.on('close', () => {
      if (res.writableEnded) return;
      bus.publish('podlogs.close', { streamId: streamId! });
      finish();
    });
    deliver = (e) => {
      if (e.data !== undefined) {
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.write(e.data);
        return;
      }
      const error = e.end?.error;
      if (error && !res.headersSent) {
        offData();
        offEnd();
        // The edge's status (404 no such Pod or container, 503 no engine); one that says no more
        // than 500 becomes 502: the cloud is the gateway to the node here.
        const status = error.status === undefined || error.status === 500 ? 502 : error.status;
        reject(new KedgeError(error.code, `node ${node}: ${error.message}`, { status, hint: error.hint }));
        return;
      }
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(error ? `\n[kedge] the log stream ended: ${error.code}: ${error.message}\n` : undefined);
      finish();
    };
    for (const e of early.splice(0)) deliver(e);
  });
}
