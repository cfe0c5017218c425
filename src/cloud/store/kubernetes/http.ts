import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * Plain JSON requests to the API server with the credentials of a kubeconfig (client certs,
 * bearer tokens, token files and exec plugins, all applied by @kubernetes/client-node's
 * KubeConfig on every request, so rotated tokens are picked up). The library's typed API
 * classes are not used: they turn objects into model classes (timestamps into Date objects,
 * unknown fields dropped), and kedge stores the objects as the server sends them.
 */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeRequest {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

const TIMEOUT_MS = 30_000;

export class KubeHttp {
  private readonly server: URL;
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) throw new Error('the kubeconfig has no current cluster with a server');
    this.server = new URL(cluster.server);
  }

  get serverUrl(): string {
    return this.server.toString().replace(/\/$/, '');
  }

  async request<T>(method: string, path: string, req: KubeRequest = {}): Promise<T> {
    const opts: https.RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const url = new URL(this.serverUrl + path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const secure = url.protocol === 'https:';
    const headers: http.OutgoingHttpHeaders = {
      ...(opts.headers as http.OutgoingHttpHeaders),
      Accept: 'application/json',
    };
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    if (body) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = (secure ? https : http).request(
        url,
        {
          method,
          headers,
          agent: secure ? this.agents.https : this.agents.http,
          ...(secure
            ? {
                ca: opts.ca,
                cert: opts.cert,
                key: opts.key,
                servername: opts.servername,
                ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
              }
            : {}),
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      r.on('error', reject);
      r.end(body);
    });
    const json = parse(text);
    if (status >= 200 && status < 300) return json as T;
    const s = (json ?? {}) as { reason?: string; message?: string };
    throw new KubeApiError(status, s.reason ?? '', s.message ?? (text.slice(0, 200) || `HTTP ${status}`));
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
