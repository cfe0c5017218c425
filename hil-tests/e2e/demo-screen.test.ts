import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths/index.js';
import { freePort } from '../../src/demo/index.js';

/**
 * `kedge demo` as a person sees it: in a real terminal (tmux, 80 columns by 24 rows), read off the
 * screen (`tmux capture-pane`) while it runs. The screen must fit, show every device with its
 * state and values, let the printed `twin set` command be pasted as it is and show its round
 * trip, and show cleansing rejecting the meter's voltage surges.
 */
const BIN = join(packageRoot(), 'bin', 'kedge.js');
const SESSION = `kedge-demo-screen-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

function screen(): string[] {
  return tmux('capture-pane', '-p', '-t', SESSION).replace(/\n$/, '').split('\n');
}

async function until(what: string, ms: number, cond: (lines: string[]) => boolean): Promise<string[]> {
  const end = Date.now() + ms;
  let lines = screen();
  while (!cond(lines)) {
    if (Date.now() > end)
      throw new Error(`timed out after ${ms} ms waiting for ${what}; the screen:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
    lines = screen();
  }
  return lines;
}

describe('kedge demo on an 80x24 terminal', () => {
  afterAll(() => {
    spawnSync('tmux', ['kill-session', '-t', SESSION], { stdio: 'ignore' });
  });

  it('fits, shows every device and its values, the pasted twin set round trip, and spikes rejected', async () => {
    expect(spawnSync('tmux', ['-V']).status, 'tmux is needed (.ci/run installs it)').toBe(0);
    const ports = ['--hub-port', '--api-port', '--mqtt-port', '--edge-mqtt-port', '--edge-api-port'];
    const flags: string[] = [];
    for (const p of ports) flags.push(p, String(await freePort()));
    const command = [process.execPath, BIN, 'demo', '--duration', '90', ...flags].join(' ');
    tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', `${command}; sleep 60`);

    // The first seconds: what it is doing, before any value.
    const early = await until('the start lines', 15_000, (l) => l.some((x) => x.includes('starting a cloud')));
    expect(early[0]).toMatch(/^kedge demo: starting; logs in \S+\/logs$/);

    // The live screen: exactly the terminal, title first, the commands to try last.
    const live = await until('every device online with values', 60_000, (l) => {
      const text = l.join('\n');
      return (
        /iologik-e1214-pump-house · modbus · online/.test(text) &&
        /sdm120-kitchen-circuit · modbus · online/.test(text) &&
        /ua-demo-server · opcua · online/.test(text) &&
        /voltage\s+2\d\d(\.\d)? V/.test(text) &&
        /temperature\s+\d/.test(text)
      );
    });
    expect(live).toHaveLength(24);
    expect(live[0]).toMatch(/^kedge demo · node demo · [34] devices · [\d,]+ readings · Ctrl-C stops$/);
    expect(live.at(-1)).toMatch(/^What consumers read: mosquitto_sub -h 127\.0\.0\.1 -p \d+ -t 'kedge\/#' -v$/);
    const text = live.join('\n');
    // What the meter shows is a real supply's (where the screen has room for it).
    for (const [, hz] of text.matchAll(/frequency\s+([\d.]+) Hz/g)) expect(Number(hz)).toBeCloseTo(50, 0);
    for (const [, v] of text.matchAll(/voltage\s+([\d.]+) V/g)) expect(Math.abs(Number(v) - 230)).toBeLessThan(5);
    expect(text).toMatch(/\d+ more/);
    expect(text).not.toMatch(/\d\.\d{5,}/); // values rounded

    // The printed command, pasted as it is (continued over two lines here: the API port is not
    // the default one), names a property on the screen; its write shows as confirmed.
    const at = live.findIndex((l) => l.includes(' twin set '));
    const pasted = live[at]!.endsWith(' \\') ? `${live[at]!.slice(0, -2)} ${live[at + 1]!.trim()}` : live[at]!;
    const [, device, property, value] = /twin set (\S+) ([\w-]+)=(\S+) --wait/.exec(pasted)!;
    expect(text).toMatch(new RegExp(`\\n  (.* )?${property}\\s+false`));
    const words = pasted.trim().split(/\s+/);
    const args = words.slice(words.indexOf('kedge') + 1); // as `kedge` (or `npx kedge`) would get them
    const set = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    const written = await until(`${property}=${value} confirmed on screen`, 10_000, (l) =>
      l.some((x) => x.includes(`✓ ${property}: false → ${value}, confirmed by the device`)),
    );
    expect(written.join('\n')).toMatch(new RegExp(`${property}\\s+false→true ✓`));
    expect(device).toBe('default/iologik-e1214-pump-house');
    // The relays' status word agrees with the relays.
    await until('the relays bitmask showing relay 2', 5_000, (l) => l.some((x) => /relays-bitmask\s+4\b/.test(x)));

    // Cleansing at work: the meter's voltage surges (every 20 s) are rejected, the last good value held.
    const spiked = await until('a rejected voltage surge', 30_000, (l) =>
      l.some((x) =>
        /! voltage held: spike: \d+(\.\d+)? is \d+(\.\d+)? from the last good 2\d\d(\.\d+)? \(maxStep 20\)/.test(x),
      ),
    );
    for (const l of spiked) expect(l.length).toBeLessThanOrEqual(80);
  }, 180_000);
});
