// The kedge HTTP API from the browser (docs/api.md), at the address the page came from. A cloud
// started with --api-token-file wants `Authorization: Bearer <token>` on every /api path: the
// page asks for the token once and keeps it in this tab (sessionStorage), or on this computer
// (localStorage) when "remember" is ticked. The live stream is read with fetch, not EventSource,
// so that it carries the same header (EventSource cannot send one, and a token in the URL would
// end up in logs).

const KEY = 'kedge.token';

export class ApiError extends Error {
  constructor(status, body) {
    const e = body?.error ?? {};
    super(e.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = e.code ?? `HTTP_${status}`;
    this.hint = e.hint;
    this.detail = e.detail;
  }
}

let askToken = async () => undefined;

/** How the page asks the user for a token (a dialog); resolves with it, or undefined. */
export function onTokenNeeded(fn) {
  askToken = fn;
}

export function token() {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY) ?? undefined;
}

export function setToken(value, remember) {
  forgetToken();
  (remember ? localStorage : sessionStorage).setItem(KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

function headers(extra = {}) {
  const t = token();
  return { ...extra, ...(t ? { authorization: `Bearer ${t}` } : {}) };
}

/** One API call; a 401 asks for the token (again, while the one given is refused) and tries again. */
export async function api(method, path, body, { text = false } = {}) {
  for (;;) {
    const sent = token();
    const res = await fetch(path, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status === 401) {
      // Another request may have got a new token meanwhile: try that one first.
      if (token() !== sent) continue;
      if (await askToken(sent ? 'The token was not accepted.' : '')) continue;
    }
    if (text && res.ok) return res.text();
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, json);
    return json;
  }
}

/**
 * The live event stream (`GET /api/v1/events`, Server-Sent Events) with reconnects: `onEvent(name,
 * data)` for each event, `onState('live' | 'reconnecting' | 'unauthorized')`. Returns stop().
 */
export function stream(onEvent, onState) {
  let stopped = false;
  let controller;
  let delay = 500;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch('/api/v1/events', { headers: headers(), signal: controller.signal });
        if (res.status === 401) {
          onState('unauthorized');
          if (!(await askToken(token() ? 'The token was not accepted.' : ''))) return;
          continue;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState('live');
        delay = 500;
        await readEvents(res.body, onEvent);
      } catch {
        if (stopped) return;
      }
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}
