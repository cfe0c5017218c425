import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, KedgeConfigSchema } from '../core/config/index.js';
import { DEMO_DEFAULTS } from '../demo/index.js';
import { DEFAULT_SERVER, EDGE_SERVER } from '../client/index.js';
import { buildProgram } from './program.js';

/**
 * The WHATWG Fetch standard's "bad ports" (fetch.spec.whatwg.org/#port-blocking), as Node 20's
 * bundled undici has them: fetch refuses them before connecting ("fetch failed", cause "bad port").
 * kedge's default API port was 10080, so `kedge demo` and `kedge get` failed for every user.
 */
const FETCH_BAD_PORTS = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

type Found = { port: number; where: string };

/** Every port default in the config schema (fields named *port*, and URLs with a port). */
function schemaPorts(schema: unknown, path: string[] = []): Found[] {
  const s = schema as { properties?: Record<string, unknown>; default?: unknown };
  const found: Found[] = [];
  const name = path.at(-1) ?? '';
  if (/port$/i.test(name) && typeof s.default === 'number') found.push({ port: s.default, where: path.join('.') });
  if (typeof s.default === 'string') found.push(...textPorts(s.default, `config ${path.join('.')}`));
  for (const [key, sub] of Object.entries(s.properties ?? {})) found.push(...schemaPorts(sub, [...path, key]));
  return found;
}

/** Ports a text names: `host:port` and URLs, `--*-port N`, `-p N`, and "(default N)" of a port option. */
function textPorts(text: string, where: string, portOption = false): Found[] {
  const found: Found[] = [];
  const add = (n: string) => found.push({ port: Number(n), where: `${where}: "${text.trim().slice(0, 100)}"` });
  for (const m of text.matchAll(/[a-z][a-z0-9+.[\]-]*:\/\/[^\s/:'"]+:(\d{1,5})\b/gi)) add(m[1]!);
  for (const m of text.matchAll(
    /(?<![\w/.])(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|[a-z][\w-]*(?:\.[\w-]+)+):(\d{1,5})\b/gi,
  ))
    add(m[1]!);
  for (const m of text.matchAll(/--[\w-]*port[ =](\d{1,5})\b/g)) add(m[1]!);
  for (const m of text.matchAll(/(?:^|\s)-p (\d{1,5})\b/g)) add(m[1]!);
  if (portOption) for (const m of text.matchAll(/\(default (\d{1,5})\)/g)) add(m[1]!);
  return found;
}

/** Every port the command tree names: option defaults, option descriptions, help texts and examples. */
function commandPorts(cmd: Command, path = 'kedge'): Found[] {
  const found: Found[] = [];
  for (const o of cmd.options) {
    const isPort = /port/.test(o.long ?? '');
    // 0 means "any free port" (a listen(0)), never a port anything connects to.
    if (isPort && typeof o.defaultValue === 'number' && o.defaultValue !== 0)
      found.push({ port: o.defaultValue, where: `${path} ${o.long} default` });
    if (typeof o.defaultValue === 'string') found.push(...textPorts(o.defaultValue, `${path} ${o.long} default`));
    found.push(...textPorts(o.description, `${path} ${o.long}`, isPort));
  }
  let help = '';
  cmd.configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
  cmd.outputHelp();
  for (const line of help.split('\n')) found.push(...textPorts(line, `${path} --help`));
  for (const sub of cmd.commands) found.push(...commandPorts(sub, `${path} ${sub.name()}`));
  return found;
}

function urlPort(url: string): Found {
  return { port: Number(new URL(url).port), where: url };
}

describe('default ports', () => {
  const all: Found[] = [
    ...schemaPorts(KedgeConfigSchema),
    ...commandPorts(buildProgram('0.0.0')),
    urlPort(DEFAULT_SERVER),
    urlPort(EDGE_SERVER),
    ...Object.entries(DEMO_DEFAULTS)
      .filter(([k, v]) => k.endsWith('Port') && v !== 0)
      .map(([k, v]) => ({ port: v as number, where: `DEMO_DEFAULTS.${k}` })),
  ];

  it('finds the ports of every command (the check below is not vacuous)', () => {
    const ports = new Set(all.map((f) => f.port));
    for (const p of Object.values(DEFAULT_PORTS)) expect(ports).toContain(p);
    expect(all.some((f) => f.where.startsWith('kedge demo --api-port'))).toBe(true);
    expect(all.some((f) => f.where.startsWith('kedge cloud --api-port'))).toBe(true);
    expect(all.some((f) => f.where.startsWith('config mapper.mqttUrl'))).toBe(true);
    // The old default would be caught.
    expect(textPorts('kedge API URL (default http://127.0.0.1:10080)', 'x').map((f) => f.port)).toEqual([10080]);
  });

  it('no default port, in any command, flag, help text or config field, is one fetch refuses', () => {
    const bad = all.filter((f) => FETCH_BAD_PORTS.has(f.port));
    expect(bad).toEqual([]);
  });

  it("agrees with Node's fetch: it refuses 10080 and connects to every default port", async () => {
    const refusal = async (port: number) => {
      try {
        await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        return 'answered';
      } catch (err) {
        const cause = (err as { cause?: { message?: string; code?: string } }).cause;
        return cause?.message === 'bad port' ? 'bad port' : (cause?.code ?? 'other');
      }
    };
    expect(await refusal(10080)).toBe('bad port');
    for (const p of new Set(all.map((f) => f.port))) expect([p, await refusal(p)]).not.toEqual([p, 'bad port']);
  });
});
