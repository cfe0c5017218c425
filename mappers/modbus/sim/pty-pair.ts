/**
 * A connected pair of pseudo-terminals made by socat, standing in for both ends of a serial line:
 * the simulator opens one end, the driver the other. socat prints
 * "... N PTY is /dev/pts/7" once per end on stderr (with -d -d) before it starts transferring.
 */
import { spawn } from 'node:child_process';
import { modbusErrors } from '../errors.js';

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

export function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise<PtyPair>((resolve, reject) => {
    const paths: string[] = [];
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      void close();
      reject(
        modbusErrors.create(
          'KEDGE_MODBUS_SIM_CONFIG',
          `socat pty pair: ${why}${stderr ? `; socat said: ${stderr.trim()}` : ''}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`no pty paths within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(`cannot run socat (${err.message}); install it (apt-get install socat)`));
    child.once('exit', (code) => paths.length < 2 && fail(`socat exited with ${code}`));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      for (const m of chunk.matchAll(/PTY is (\S+)/gu)) paths.push(m[1]!);
      if (paths.length >= 2) {
        clearTimeout(timer);
        resolve({ a: paths[0]!, b: paths[1]!, close });
      }
    });
  });
}
