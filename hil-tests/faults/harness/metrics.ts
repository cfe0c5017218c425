/** The value of one Prometheus sample (`name{labels}`, labels as written), 0 when absent. */
export async function metric(url: string, sample: string): Promise<number> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (line.slice(0, at) === sample) return Number(line.slice(at + 1));
  }
  return 0;
}

/** The edge's /healthz body (src/edge/api/module.ts). */
export interface EdgeHealth {
  status: 'ok' | 'degraded' | 'failing';
  store: {
    ok: boolean;
    consecutiveFailures: number;
    lastError?: string;
    disk: { state: 'ok' | 'full'; limitBytes: number; usedBytes: number };
  };
}

export async function healthz(port: number): Promise<{ status: number; body: EdgeHealth }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as EdgeHealth };
}
