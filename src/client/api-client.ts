import type { Device, DeviceModel } from '../model/index.js';
import {
  type ApplyResult,
  type NodeView,
  type ServiceCallResponse,
  type TwinView,
  ApiErrorBodySchema,
} from '../contracts/index.js';
import { KedgeError } from '../core/errors/index.js';
import { describeCode, httpRequest, HttpRequestError, type HttpResponse } from '../core/http-client/index.js';
import { bearer } from '../core/token/index.js';
import { clientErrors } from './errors.js';
import type { ServerTarget } from './target.js';
import { checker } from '../core/schema/index.js';

export interface ListResponse<T> {
  items: T[];
}

/** Device as the API returns it: with `status` (state, twins) when the cloud has one. */
export type DeviceWithStatus = Device & { status?: Record<string, unknown> };

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

  delete(kind: 'device' | 'devicemodel', namespace: string, name: string): Promise<{ deleted: boolean }> {
    const path = kind === 'device' ? 'devices' : 'devicemodels';
    return this.call('DELETE', `/api/v1/${path}/${seg(namespace)}/${seg(name)}`);
  }

  /** Removes a Node from the cloud (refused while a Device names it or it is connected). */
  deleteNode(name: string): Promise<{ deleted: boolean }> {
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
