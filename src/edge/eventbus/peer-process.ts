import { readdir, readFile, readlink } from 'node:fs/promises';

/** The local end of a TCP connection as the broker sees it (net.Socket's fields). */
export interface PeerSocket {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localPort?: number | undefined;
}

/** A local process at the other end of a loopback connection, and its cgroups (/proc/<pid>/cgroup). */
export interface PeerProcess {
  pid: number;
  cgroup: string;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * Which process holds the client end of a loopback TCP connection to this process (Linux, read
 * from /proc like `ss -p`): the socket's inode from /proc/net/tcp{,6}, then the process with a
 * descriptor on it. It tells a container Edged started from any other local client without the
 * client sending credentials (KubeEdge's MQTT mappers have no setting for them). Undefined when
 * the peer is not on this machine's loopback, has gone, or is not visible to this process (a
 * process of another user, when the edge does not run as root).
 */
export async function peerProcess(socket: PeerSocket, proc = '/proc'): Promise<PeerProcess | undefined> {
  const { remoteAddress, remotePort, localPort } = socket;
  if (!remoteAddress || !remotePort || !localPort || !LOOPBACK.test(remoteAddress)) return undefined;
  const inode = await clientInode(proc, remotePort, localPort);
  if (inode === undefined) return undefined;
  const pid = await holderOf(proc, `socket:[${inode}]`);
  if (pid === undefined) return undefined;
  const cgroup = await readFile(`${proc}/${pid}/cgroup`, 'utf8').catch(() => '');
  return { pid, cgroup };
}

/** The inode of the established socket whose local port is the client's and remote port ours. */
async function clientInode(proc: string, clientPort: number, serverPort: number): Promise<string | undefined> {
  const local = `:${hexPort(clientPort)}`;
  const remote = `:${hexPort(serverPort)}`;
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`${proc}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st ... inode (field 9); st 01 = ESTABLISHED
      if (f.length > 9 && f[3] === '01' && f[1]!.endsWith(local) && f[2]!.endsWith(remote) && f[9] !== '0') return f[9];
    }
  }
  return undefined;
}

async function holderOf(proc: string, link: string): Promise<number | undefined> {
  const pids = (await readdir(proc)).filter((e) => /^\d+$/.test(e));
  for (const pid of pids) {
    const fds = await readdir(`${proc}/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`${proc}/${pid}/fd/${fd}`).catch(() => '')) === link) return Number(pid);
    }
  }
  return undefined;
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** Whether a cgroup listing names one of these container ids (podman, Docker: cgroupfs and systemd drivers). */
export function containerOf(cgroup: string, ids: readonly string[]): string | undefined {
  return ids.find((id) => id.length >= 12 && cgroup.includes(id));
}
