import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange (connect, send, answer) ends by then; the error's code is then ETIMEDOUT. */
  timeoutMs: number;
  /**
   * https:// only: the CA the server's certificate must chain to (instead of the system's), a
   * client certificate and key (mutual TLS), or no check of the server at all (only where what
   * comes back is checked otherwise: a join pins the CA by its hash).
   */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A failed exchange: `code` is the socket's (ECONNREFUSED, ENOTFOUND...) or ETIMEDOUT. */
export class HttpRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpRequestError';
  }
}

/**
 * One HTTP exchange over node:http(s). Not fetch: fetch refuses the WHATWG "bad ports" (10080,
 * 6000, 5060...) before it connects, and a user who runs the cloud API on such a port must still
 * be able to reach it (kedge issue #14). The answer's body is read whole (the API's are small).
 */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch (err) {
    return Promise.reject(new HttpRequestError(`"${req.url}" is not a URL`, 'EINVAL', { cause: err }));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return Promise.reject(new HttpRequestError(`${req.url}: only http:// and https:// URLs`, 'EPROTO'));
  const send = url.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: HttpRequestError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      r.destroy();
      reject(err);
    };
    const headers = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = send(url, { method: req.method ?? 'GET', headers, ...(req.tls ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', (err) => fail(fromSocketError(err)));
      res.once('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(
      () => fail(new HttpRequestError(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT')),
      req.timeoutMs,
    );
    r.once('error', (err) => fail(fromSocketError(err)));
    r.end(req.body);
  });
}

function fromSocketError(err: Error): HttpRequestError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  return new HttpRequestError(`${describeCode(code)} (${err.message})`, code, { cause: err });
}

/** What a socket error code means, in words (the code itself stays in the error). */
export function describeCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'timed out';
    default:
      return code;
  }
}
