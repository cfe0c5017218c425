import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the password of the mappers' broker account is kept, in the edge's data dir. */
export function mapperPasswordFile(dataDir: string): string {
  return join(dataDir, 'mqtt', 'kedge-mapper.password');
}

/**
 * The password of the account the mappers and Pods Edged starts use on the embedded broker
 * (MAPPER_USER). Made once and kept (mode 0600), not made anew at every start: a mapper container
 * or Pod left running across an edge restart is adopted with the environment it was started with.
 * A mapper started by hand may use it too: `KEDGE_MQTT_PASSWORD=$(cat <data-dir>/mqtt/kedge-mapper.password)`.
 */
export function mapperPassword(dataDir: string): string {
  const file = mapperPasswordFile(dataDir);
  const kept = readKept(file);
  if (kept !== undefined) return kept;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Written aside and linked into place: another process (a mapper started by hand, a second
  // look-up) never reads a half-written file, and the first one to link wins.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readKept(file) ?? '';
}

function readKept(file: string): string | undefined {
  try {
    const kept = readFileSync(file, 'utf8').trim();
    return kept === '' ? undefined : kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}
