import { freePort } from '../../../src/demo/ports.js';
import { spawnKedge } from './kedge.js';
import { httpOk, KedgeProcess, waitFor } from './processes.js';

export interface Replica {
  id: string;
  proc: KedgeProcess;
  hub: number;
  api: string;
  hubUrl: string;
  /** The join port (secure link only). */
  join?: number;
}

/**
 * `kedge cloud --store etcd://... --mqtt-url ...` as a real process: one cloud replica on
 * loopback with its own ports, sharing etcd and the broker with the others.
 */
export async function startReplica(
  id: string,
  dataDir: string,
  storeUrl: string,
  mqttUrl: string,
  extraEnv: Record<string, string> = {},
  /** `secure`: the default link (wss://, node certificates, a join port) instead of the lab link. */
  options: { secure?: boolean } = {},
): Promise<Replica> {
  const hub = await freePort();
  const apiPort = await freePort();
  const join = options.secure ? await freePort() : undefined;
  const proc = new KedgeProcess(
    `cloud ${id}`,
    spawnKedge(
      [
        'cloud',
        '--data-dir',
        dataDir,
        '--store',
        storeUrl,
        '--replica-id',
        id,
        '--mqtt-url',
        mqttUrl,
        '--hub-host',
        '127.0.0.1',
        '--hub-port',
        `${hub}`,
        '--api-port',
        `${apiPort}`,
        // The failover tests run over the lab link (ws://).
        ...(join ? ['--join-port', `${join}`] : ['--insecure-link']),
      ],
      { KEDGE_CLOUD__STATUS_INTERVAL_MS: '2000', ...extraEnv },
    ),
  );
  const api = `http://127.0.0.1:${apiPort}`;
  await waitFor(() => httpOk(`${api}/healthz`), `cloud replica ${id}`, 60_000, [proc]);
  return { id, proc, hub, api, hubUrl: `${join ? 'wss' : 'ws'}://127.0.0.1:${hub}`, ...(join ? { join } : {}) };
}

/** The replica the leader key names (etcd's `/kedge/leader`), read with etcdctl. */
export async function leaderOf(endpoints: string[]): Promise<string | undefined> {
  return etcdctlGet(endpoints, ['/kedge/leader', '--print-value-only']);
}

/** The QoS 2 sessions with records in the publish journal (`/kedge/q/<session>/...`), read with etcdctl. */
export async function journalSessions(endpoints: string[]): Promise<string[] | undefined> {
  const keys = await etcdctlGet(endpoints, ['/kedge/q/', '--prefix', '--keys-only']);
  if (keys === undefined) return undefined;
  const sessions = keys.split('\n').filter((k) => k.startsWith('/kedge/q/'));
  return [...new Set(sessions.map((k) => k.slice('/kedge/q/'.length).split('/')[0]!))];
}

async function etcdctlGet(endpoints: string[], args: string[]): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(
      'etcdctl',
      ['--endpoints', endpoints.join(','), '--dial-timeout=2s', '--command-timeout=2s', 'get', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' } },
      (err, stdout) => resolve(err ? undefined : stdout.trim()),
    );
  });
}
