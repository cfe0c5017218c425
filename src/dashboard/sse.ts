import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FeedClient } from './feed.js';

/** A browser that has this much unsent is dropped (it reconnects and gets a fresh snapshot). */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** Turns an HTTP request into an event stream (text/event-stream) for the feed. */
export function sseClient(req: IncomingMessage, res: ServerResponse, onClose: () => void): FeedClient {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // A reverse proxy (nginx) must not hold the stream back.
    'x-accel-buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  req.socket.setNoDelay(true);
  req.once('close', onClose);
  return {
    write: (text) => {
      if (res.writableEnded || res.destroyed) return false;
      res.write(text);
      return res.writableLength < MAX_BUFFERED;
    },
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}
