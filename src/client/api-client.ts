import type { Device, DeviceModel, Pod } from '../model/index.js';
import {
  type ApplyResult,
  type NodeView,
  type PodStatus,
  type ServiceCallResponse,
  type TokenCreate,
  type TokenCreated,
  type TwinView,
  ApiErrorBodySchema,
} from '../contracts/index.js';
import { errorText, KedgeError } from '../core/errors/index.js';
import {
  describeCode,
  httpRequest,
  HttpRequestError,
  httpStream,
  type HttpResponse,
} from '../core/http-client/index.js';
import { bearer } from '../core/token/index.js';
import { clientErrors } from './errors.js';
import type { ServerTarget } from './target.js';
import { checker } from '../core/schema/index.js';

export interface ListResponse<T> {
  items: T[];
}

/** Device as the API returns it: with `status` (state, twins) when the cloud has one. */
export type DeviceWithStatus = Device & { status?: Record<string, unknown> };

/** Pod as the API returns it: with the status its node reported, once it has. */
export type PodWithStatus = Omit<Pod, 'status'> & { status?: PodStatus };

/**
 * The client of kedge's HTTP API (docs/api.md), used by `kedge apply|get|twin|delete` and the
 * demo. Every failure is a KedgeError: the server's own code, message and hint when it answered
 * with an error body, KEDGE_CLIENT_UNREACHABLE when nothing answers.
 */
export class ApiClient {
  constructor(
    readonly target: ServerTarget,
    private readonly timeoutMs = 30_000,
  ) {}

  apply(documents: unknown[]): Promise<ApplyResult> {
    return this.call('POST', '/api/v1/apply', { documents });
  }

  nodes(): Promise<ListResponse<NodeView>> {
    return this.call('GET', '/api/v1/nodes');
  }

  devices(): Promise<ListResponse<DeviceWithStatus>> {
    return this.call('GET', '/api/v1/devices');
  }

  device(namespace: string, name: string): Promise<DeviceWithStatus> {
    return this.call('GET', `/api/v1/devices/${seg(namespace)}/${seg(name)}`);
  }

  deviceModels(): Promise<ListResponse<DeviceModel>> {
    return this.call('GET', '/api/v1/devicemodels');
  }

  twin(namespace: string, name: string): Promise<TwinView> {
    return this.call('GET', `/api/v1/twins/${seg(namespace)}/${seg(name)}`);
  }

  setDesired(namespace: string, name: string, properties: Record<string, string>, waitMs?: number): Promise<TwinView> {
    const query = waitMs !== undefined ? `?wait=${Math.max(0, Math.round(waitMs))}` : '';
    // The server holds the request for up to waitMs: give the socket that much longer.
    return this.call(
      'PUT',
      `/api/v1/twins/${seg(namespace)}/${seg(name)}/desired${query}`,
      { properties },
      (waitMs ?? 0) + this.timeoutMs,
    );
  }

  pods(): Promise<ListResponse<PodWithStatus>> {
    return this.call('GET', '/api/v1/pods');
  }

  pod(namespace: string, name: string): Promise<PodWithStatus> {
    return this.call('GET', `/api/v1/pods/${seg(namespace)}/${seg(name)}`);
  }

  /**
   * A Pod's container log through its node; `write` gets the text as it comes. With `follow`
   * this ends when the container's log ends, the link drops, or `signal` aborts.
   */
  async podLogs(
    namespace: string,
    name: string,
    options: { follow: boolean; container?: string; tailLines?: number; signal?: AbortSignal },
    write: (text: string) => void,
  ): Promise<void> {
    const q = new URLSearchParams({ follow: String(options.follow) });
    if (options.container) q.set('container', options.container);
    if (options.tailLines !== undefined) q.set('tailLines', String(options.tailLines));
    const path = `/api/v1/pods/${seg(namespace)}/${seg(name)}/log?${q}`;
    let res: HttpResponse;
    let began = false;
    try {
      res = await httpStream(
        {
          url: `${this.target.url}${path}`,
          headers: this.target.token === undefined ? {} : { authorization: bearer(this.target.token) },
          timeoutMs: this.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (text) => {
          began = true;
          write(text);
        },
      );
    } catch (err) {
      if (!began) throw this.unreachable(err);
      throw clientErrors.create(
        'KEDGE_CLIENT_UNREACHABLE',
        `the connection to ${this.target.url} dropped while the log was read (${errorText(err)}); run kedge logs again`,
        { cause: err },
      );
    }
    // status 0: aborted (Ctrl-C) before the answer began.
    if (res.status !== 0 && (res.status < 200 || res.status > 299))
      throw serverError('GET', path, res.status, parseJson(res.text), res.text);
  }

  delete(kind: 'device' | 'devicemodel' | 'pod', namespace: string, name: string): Promise<{ deleted: boolean }> {
    const path = kind === 'device' ? 'devices' : kind === 'pod' ? 'pods' : 'devicemodels';
    return this.call('DELETE', `/api/v1/${path}/${seg(namespace)}/${seg(name)}`);
  }

  /** A join token (`kedge token create`). */
  createToken(req: TokenCreate): Promise<TokenCreated> {
    return this.call('POST', '/api/v1/tokens', req);
  }

  /**
   * Removes a Node from the cloud (refused while a Device names it, or while it is connected on the
   * lab link); on the secure link its certificates are revoked first (`revoked`), closing its link.
   */
  deleteNode(name: string): Promise<{ deleted: boolean; revoked?: number; kept?: string }> {
    return this.call('DELETE', `/api/v1/nodes/${seg(name)}`);
  }

  /** A ServiceBus call on `node`'s network (`kedge call`); `timeoutMs` covers the cloud's own wait. */
  async serviceCall(node: string, call: Record<string, unknown>, timeoutMs: number): Promise<ServiceCallResponse> {
    const path = `/api/v1/nodes/${seg(node)}/services`;
    const r = await this.call<Partial<ServiceCallResponse>>('POST', path, call, timeoutMs);
    if (typeof r.status !== 'number' || typeof r.body !== 'string') {
      throw clientErrors.create(
        'KEDGE_CLIENT_BAD_RESPONSE',
        `POST ${path} answered without a status and a body: ${JSON.stringify(r).slice(0, 200)}`,
      );
    }
    return r as ServiceCallResponse;
  }

  private async call<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const url = `${this.target.url}${path}`;
    let res: HttpResponse;
    try {
      res = await httpRequest({
        url,
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.target.token === undefined ? {} : { authorization: bearer(this.target.token) }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(this.target.ca === undefined ? {} : { tls: { ca: this.target.ca } }),
        timeoutMs,
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    const json = parseJson(res.text);
    if (res.status < 200 || res.status > 299) throw serverError(method, path, res.status, json, res.text);
    if (json === undefined) {
      throw clientErrors.create(
        'KEDGE_CLIENT_BAD_RESPONSE',
        `${method} ${url} answered ${res.status} with something that is not JSON: ${res.text.slice(0, 80)}`,
      );
    }
    return json as T;
  }

  private unreachable(err: unknown): KedgeError {
    const detail = err instanceof HttpRequestError ? describeCode(err.code) : (err as Error).message;
    const what = this.target.kind === 'edge' ? 'edge' : 'cloud';
    const how = this.target.kind === 'edge' ? 'start one with `kedge edge`' : 'start one with `kedge cloud`';
    return clientErrors.create(
      'KEDGE_CLIENT_UNREACHABLE',
      `no kedge ${what} answers at ${this.target.url} (${detail}): ${how} or pass --server`,
      { cause: err, ...(err instanceof HttpRequestError ? { detail: { code: err.code } } : {}) },
    );
  }
}

const checkErrorBody = checker(ApiErrorBodySchema);

function serverError(method: string, path: string, status: number, json: unknown, text: string): KedgeError {
  const body = checkErrorBody(json);
  if (body.ok) {
    const { code, message, hint } = body.value.error;
    return new KedgeError(code, message, { ...(hint ? { hint } : {}), status, detail: { status } });
  }
  return clientErrors.create(
    'KEDGE_CLIENT_BAD_RESPONSE',
    `${method} ${path} failed with HTTP ${status}: ${text.slice(0, 200) || '(empty body)'}`,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function seg(s: string): string {
  return encodeURIComponent(s);
}
