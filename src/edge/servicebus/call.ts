import { request } from 'node:http';
import type { ServiceCallRequest, ServiceCallResponse } from '../../contracts/index.js';
import type { KedgeError } from '../../core/errors/index.js';
import { parseTarget } from './allow.js';
import { servicebusErrors } from './errors.js';

export interface CallLimits {
  timeoutMs: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'host',
  'content-length',
]);

/** One HTTP call to an allowed target; rejects with a KedgeError whose code maps to a status. */
export function callTarget(
  req: ServiceCallRequest,
  allowed: (t: string) => boolean,
  limits: CallLimits,
): Promise<ServiceCallResponse> {
  const target = parseTarget(req.target);
  if (!target)
    return Promise.reject(
      servicebusErrors.create('KEDGE_SERVICEBUS_BAD_REQUEST', `target ${JSON.stringify(req.target)} is not host:port`),
    );
  if (!allowed(req.target))
    return Promise.reject(
      servicebusErrors.create('KEDGE_SERVICEBUS_FORBIDDEN', `target ${req.target} is not in the allow-list`),
    );
  const body = req.body ? Buffer.from(req.body, 'base64') : Buffer.alloc(0);
  if (body.length > limits.maxRequestBytes) {
    return Promise.reject(
      servicebusErrors.create(
        'KEDGE_SERVICEBUS_TOO_LARGE',
        `request body of ${body.length} bytes exceeds ${limits.maxRequestBytes}`,
      ),
    );
  }
  const headers = Object.fromEntries(
    Object.entries(req.headers ?? {}).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())),
  );
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: KedgeError | undefined, res?: ServiceCallResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        r.destroy();
        reject(err);
      } else resolve(res!);
    };
    const path = req.path.startsWith('/') ? req.path : `/${req.path}`;
    const r = request(
      {
        host: target.host,
        port: target.port,
        method: req.method,
        path,
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limits.maxResponseBytes)
            finish(
              servicebusErrors.create(
                'KEDGE_SERVICEBUS_UPSTREAM',
                `response of ${req.target}${path} exceeds ${limits.maxResponseBytes} bytes`,
              ),
            );
          else chunks.push(c);
        });
        res.on('end', () => {
          const outHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
          finish(undefined, {
            status: res.statusCode ?? 502,
            headers: outHeaders,
            body: Buffer.concat(chunks).toString('base64'),
          });
        });
        res.on('error', (err) =>
          finish(servicebusErrors.create('KEDGE_SERVICEBUS_UPSTREAM', `${req.target}${path}: ${err.message}`)),
        );
      },
    );
    const timer = setTimeout(
      () =>
        finish(
          servicebusErrors.create(
            'KEDGE_SERVICEBUS_TIMEOUT',
            `${req.target}${path} did not answer within ${limits.timeoutMs} ms`,
          ),
        ),
      limits.timeoutMs,
    );
    r.on('error', (err) =>
      finish(servicebusErrors.create('KEDGE_SERVICEBUS_UPSTREAM', `${req.target}${path}: ${err.message}`)),
    );
    r.end(body);
  });
}
