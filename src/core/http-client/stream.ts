import { request as httpRequestRaw } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { describeCode, HttpRequestError, type HttpResponse } from './request.js';

export interface HttpStreamRequest {
  url: string;
  headers?: Record<string, string>;
  /** The answer must begin by then (ETIMEDOUT); its body may take as long as it takes (a followed log). */
  timeoutMs: number;
  /** Ends the exchange early (the reader went away): the promise resolves with what the status was. */
  signal?: AbortSignal;
}

/**
 * A GET whose answer is read as it comes, over node:http(s) like httpRequest (fetch refuses the
 * "bad ports"): `onText` gets the text of a 2xx answer piece by piece (UTF-8 kept whole across
 * pieces); any other answer is read whole into `text`, for its error body. Resolves when the
 * answer ends or `signal` aborts; rejects with an HttpRequestError when the connection fails or
 * drops before the answer ended.
 */
export function httpStream(req: HttpStreamRequest, onText: (text: string) => void): Promise<HttpResponse> {
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
    let answer: HttpResponse | undefined;
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      done();
    };
    const fail = (err: Error) =>
      settle(() => {
        r.destroy();
        const code = (err as NodeJS.ErrnoException).code ?? 'ECONNRESET';
        reject(
          err instanceof HttpRequestError
            ? err
            : new HttpRequestError(`${describeCode(code)} (${err.message})`, code, { cause: err }),
        );
      });
    const onAbort = () =>
      settle(() => {
        r.destroy();
        resolve(answer ?? { status: 0, headers: {}, text: '' });
      });
    const r = send(url, { method: 'GET', headers: { ...req.headers } }, (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status <= 299;
      answer = { status, headers: res.headers, text: '' };
      const decoder = new StringDecoder('utf8');
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (!ok) chunks.push(c);
        else {
          const text = decoder.write(c);
          if (text !== '') onText(text);
        }
      });
      res.once('error', fail);
      res.once('end', () =>
        settle(() => {
          const rest = ok ? decoder.end() : '';
          if (rest !== '') onText(rest);
          resolve({ ...answer!, text: ok ? '' : Buffer.concat(chunks).toString('utf8') });
        }),
      );
      res.once('close', () => {
        if (!res.complete) fail(new HttpRequestError('the connection closed before the answer ended', 'ECONNRESET'));
      });
    });
    const timer = setTimeout(
      () => fail(new HttpRequestError(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT')),
      req.timeoutMs,
    );
    r.once('error', fail);
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    r.end();
  });
}
