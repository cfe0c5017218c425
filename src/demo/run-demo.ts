import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../client/index.js';
import { DEFAULT_PORTS } from '../core/config/index.js';
import { httpRequest } from '../core/http-client/index.js';
import { packageRoot } from '../core/paths/index.js';
import { ChildSet, type Invocation, type ManagedChild } from './children.js';
import { consume } from './consumer.js';
import { Dashboard } from './dashboard.js';
import { renderFrame } from './dashboard-view.js';
import { exampleValue, prepareDemoDevice, type DemoDevice, type DemoDeviceKind } from './devices.js';
import { assertPortFree, freePort, portAnswers } from './ports.js';
import { LiveScreen } from './screen.js';
import { TelemetryView } from './telemetry-view.js';

export interface DemoOptions {
  /** Stop by itself after this many seconds (tests, CI); default: run until Ctrl-C. */
  durationS?: number;
  /** Keep data and logs here (kept afterwards); default a temporary folder, removed at the end. */
  dataDir?: string;
  hubPort: number;
  apiPort: number;
  mqttPort: number;
  edgeMqttPort: number;
  edgeApiPort: number;
  /** 0 = any free port. */
  edgeServicebusPort: number;
  node: string;
}

/** The demo's ports are the commands' own defaults (the config schema's), so it runs what a user runs. */
export const DEMO_DEFAULTS = {
  hubPort: DEFAULT_PORTS.cloudHub,
  apiPort: DEFAULT_PORTS.cloudApi,
  mqttPort: DEFAULT_PORTS.cloudMqtt,
  edgeMqttPort: DEFAULT_PORTS.edgeMqtt,
  edgeApiPort: DEFAULT_PORTS.edgeApi,
  /** 0: any free port (edge apps are not part of the demo, and 9060 may be taken by a real edge). */
  edgeServicebusPort: 0,
  node: 'demo',
} as const;

export interface DemoIo {
  out: NodeJS.WritableStream & { isTTY?: boolean; rows?: number };
  invocation: Invocation;
  /** Whether `kedge sim serial` exists and socat is installed (then a serial device joins). */
  serial: boolean;
  /** Resolves when the user asks to stop (Ctrl-C). */
  interrupted: Promise<void>;
}

interface Running {
  node: string;
  children: ChildSet;
  dataDir: string;
  removeDataDir: boolean;
  closers: Array<() => Promise<void> | void>;
  died?: { child: ManagedChild; code: number | null };
}

/**
 * `kedge demo`: a cloud, an edge node (its Edged runs the mappers), simulators for library
 * devices, the devices applied through the API, and a consumer of the cloud MQTT telemetry.
 * Returns the exit code; everything it started is stopped and its temporary folder removed.
 */
export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<number> {
  const print = (s: string) => io.out.write(s.endsWith('\n') ? s : `${s}\n`);
  await checkPorts(opts);
  const removeDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kedge-demo-'));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const run: Running = {
    node: opts.node,
    dataDir,
    removeDataDir,
    closers: [],
    children: undefined as unknown as ChildSet,
  };
  run.children = new ChildSet(io.invocation, join(dataDir, 'logs'), (child, code) => (run.died ??= { child, code }));
  let code = 1;
  try {
    print(`kedge demo: starting; logs in ${join(dataDir, 'logs')}`);
    const devices = await startAll(opts, io, run, print);
    const view = new TelemetryView();
    const dashboard = new Dashboard(devices);
    const screen = new LiveScreen(io.out);
    const consumer = await consume(
      opts.mqttPort,
      view,
      dashboard,
      screen.isTty
        ? undefined
        : (lines) => {
            for (const l of lines) screen.print(l);
          },
    );
    run.closers.push(() => consumer.close());
    const hints = hintLines(opts, devices);
    for (const line of ['', ...hints.lines, '']) print(line);
    const first = devices.flatMap((d) => d.first);
    code = await showUntilStopped(opts, io, run, { view, dashboard, screen, hints, first }, print);
    return code;
  } finally {
    await shutDown(run, print, code === 0);
  }
}

async function checkPorts(o: DemoOptions): Promise<void> {
  await assertPortFree(o.hubPort, '--hub-port', '127.0.0.1');
  await assertPortFree(o.apiPort, '--api-port', '127.0.0.1');
  await assertPortFree(o.mqttPort, '--mqtt-port', '127.0.0.1');
  await assertPortFree(o.edgeMqttPort, '--edge-mqtt-port', '127.0.0.1');
  await assertPortFree(o.edgeApiPort, '--edge-api-port', '127.0.0.1');
  if (o.edgeServicebusPort) await assertPortFree(o.edgeServicebusPort, '--edge-servicebus-port', '127.0.0.1');
}

async function startAll(o: DemoOptions, io: DemoIo, run: Running, print: (s: string) => void): Promise<DemoDevice[]> {
  const { children, dataDir } = run;
  const api = `http://127.0.0.1:${o.apiPort}`;
  print('starting a cloud and the device simulators (Modbus TCP, OPC UA, serial)...');
  const cloud = children.start(
    'cloud',
    [
      'cloud',
      '--data-dir',
      join(dataDir, 'cloud'),
      '--hub-host',
      '127.0.0.1',
      '--hub-port',
      String(o.hubPort),
      '--api-port',
      String(o.apiPort),
      '--mqtt-port',
      String(o.mqttPort),
      // Everything on this machine's loopback: the lab link (a real node joins with a certificate).
      '--insecure-link',
    ],
    { ready: () => healthy(`${api}/healthz`) },
  );
  // Together: a cloud that fails while the simulators start must fail the demo at once (awaited
  // later, its rejection would go unhandled and end the process without the demo's own message).
  const [devices] = await Promise.all([startSimulators(io, run), cloud]);
  print(`cloud: API ${api}, edge link ws://127.0.0.1:${o.hubPort}, MQTT 127.0.0.1:${o.mqttPort}`);
  print(`The dashboard (live values, desired values, YAML, tag browser, CSV import): ${api}/`);
  print(`starting edge node "${o.node}" (its Edged starts the mappers)...`);
  await children.start(
    'edge',
    [
      'edge',
      '--node',
      o.node,
      '--data-dir',
      join(dataDir, 'edge'),
      '--cloud',
      `ws://127.0.0.1:${o.hubPort}`,
      '--mqtt-port',
      String(o.edgeMqttPort),
      '--api-port',
      String(o.edgeApiPort),
    ],
    {
      ready: () => healthy(`http://127.0.0.1:${o.edgeApiPort}/healthz`),
      env: { KEDGE_EDGE__SERVICEBUS_PORT: String(o.edgeServicebusPort || (await freePort())) },
    },
  );
  print(`edge node "${o.node}": MQTT 127.0.0.1:${o.edgeMqttPort}, local API http://127.0.0.1:${o.edgeApiPort}`);
  const { validateFiles } = await import('../model/index.js');
  const validated = await validateFiles(devices.map((d) => d.file));
  const applied = await new ApiClient({ url: api, kind: 'cloud' }).apply([...validated.models, ...validated.devices]);
  for (const a of applied.applied) print(`applied ${a.kind.toLowerCase()} ${a.namespace}/${a.name}`);
  return devices;
}

async function startSimulators(io: DemoIo, run: Running): Promise<DemoDevice[]> {
  const models = join(packageRoot(), 'device-models');
  const outDir = join(run.dataDir, 'devices');
  mkdirSync(outDir, { recursive: true });
  const [modbusPort, opcuaPort] = [await freePort(), await freePort()];
  const prepare = (kind: DemoDeviceKind, serialPath?: string) =>
    prepareDemoDevice(models, outDir, kind, {
      node: run.node,
      modbusPort,
      opcuaPort,
      ...(serialPath ? { serialPath } : {}),
    });
  // The remote I/O and the meter share one Modbus simulator, as units 1 and 2 behind one gateway.
  const modbus = [await prepare('io'), await prepare('meter')];
  const opcua = await prepare('opcua');
  const spikes = modbus.flatMap((d) => (d.spiky ? ['--spike', `${d.id}:${d.spiky}`, '--spike-every', '20'] : []));
  const started = [
    run.children.start(
      'sim-modbus',
      ['sim', 'modbus', ...modbus.flatMap((d) => ['--model', d.file]), '--tcp', String(modbusPort), ...spikes],
      { ready: () => portAnswers(modbusPort) },
    ),
    run.children.start('sim-opcua', ['sim', 'opcua', '--model', opcua.file, '--port', String(opcuaPort)], {
      ready: () => portAnswers(opcuaPort),
      readyTimeoutMs: 60_000,
    }),
  ];
  const devices = [...modbus, opcua];
  if (io.serial) {
    const { openPtyPair } = await import('../../mappers/modbus/sim/index.js');
    const pair = await openPtyPair();
    run.closers.push(() => pair.close());
    const serial = await prepare('serial', pair.b);
    started.push(run.children.start('sim-serial', ['sim', 'serial', '--model', serial.file, '--port', pair.a]));
    devices.push(serial);
  }
  await Promise.all(started);
  return devices;
}

interface Hints {
  lines: string[];
  /** The property the `twin set` hint names (shown first in its device). */
  property?: string;
}

/** What to try: write a desired value (its round trip shows on screen), and read what consumers read. */
function hintLines(o: DemoOptions, devices: DemoDevice[]): Hints {
  const lines: string[] = [];
  const target = devices.find((d) => d.hint) ?? devices.find((d) => d.writable.length > 0);
  const hint =
    target?.hint ??
    (target ? { property: target.writable[0]!.name, value: exampleValue(target.writable[0]!.type) } : undefined);
  if (target && hint) {
    // Started with `npx kedge demo` (a fresh clone), `kedge` alone is not on the PATH.
    const kedge = process.env.npm_command === 'exec' ? 'npx kedge' : 'kedge';
    // The CLI's default --server is the default API port: name it only when the demo uses another.
    const server = o.apiPort === DEFAULT_PORTS.cloudApi ? '' : ` --server http://127.0.0.1:${o.apiPort}`;
    lines.push('Try in another terminal (the write shows here: pending, then confirmed):');
    lines.push(`  ${kedge} twin set ${target.id} ${hint.property}=${hint.value} --wait${server}`);
  }
  lines.push(`What consumers read: mosquitto_sub -h 127.0.0.1 -p ${o.mqttPort} -t 'kedge/#' -v`);
  return { lines, ...(hint ? { property: hint.property } : {}) };
}

interface Live {
  /** Properties shown first (the twin set hint's, the meter's spiky voltage). */
  first: string[];
  view: TelemetryView;
  dashboard: Dashboard;
  screen: LiveScreen;
  hints: Hints;
}

async function showUntilStopped(
  o: DemoOptions,
  io: DemoIo,
  run: Running,
  live: Live,
  print: (s: string) => void,
): Promise<number> {
  const { screen, view } = live;
  const stopAt = o.durationS !== undefined ? Date.now() + o.durationS * 1000 : Infinity;
  let interrupted = false;
  void io.interrupted.then(() => (interrupted = true));
  if (!screen.isTty) print('Waiting for the first telemetry...');
  while (!interrupted && !run.died && Date.now() < stopAt) {
    if (screen.isTty) screen.frame(frameOf(o, live));
    await Promise.race([new Promise((r) => setTimeout(r, 500)), io.interrupted]);
  }
  if (screen.isTty) {
    screen.frame(frameOf(o, live));
    screen.leaveFrame();
  }
  if (run.died) {
    print(
      `kedge demo: ${run.died.child.name} stopped unexpectedly (exit code ${run.died.code}); see ${run.died.child.logFile}`,
    );
    return 1;
  }
  print(
    `kedge demo: ${view.readings} readings in ${view.messages} messages from the cloud topic kedge/telemetry/#${view.malformed ? `, ${view.malformed} malformed` : ''}`,
  );
  if (view.readings === 0) {
    print(`kedge demo: no telemetry arrived; the logs in ${join(run.dataDir, 'logs')} say why`);
    return 1;
  }
  return 0;
}

function frameOf(o: DemoOptions, live: Live): string[] {
  const { dashboard, screen, hints } = live;
  const n = dashboard.devices.size;
  const readings =
    dashboard.readings === 0
      ? 'waiting for the first telemetry...'
      : `${dashboard.readings.toLocaleString('en-US')} readings`;
  return renderFrame(dashboard, {
    cols: screen.columns,
    rows: screen.rows,
    now: Date.now(),
    title: `kedge demo · node ${o.node} · ${n} devices · ${readings} · Ctrl-C stops`,
    footer: hints.lines.flatMap((l) => wrapCommand(l, screen.columns)),
    first: new Set(live.first),
  });
}

/** Stops everything; the temporary folder goes only after a good run: after a failure its logs say why. */
async function shutDown(run: Running, print: (s: string) => void, succeeded: boolean): Promise<void> {
  for (const close of run.closers.splice(0).reverse()) await Promise.resolve(close()).catch(() => undefined);
  await run.children.stopAll();
  if (run.removeDataDir && succeeded) {
    rmSync(run.dataDir, { recursive: true, force: true });
    print('kedge demo: stopped; temporary files removed');
  } else if (run.removeDataDir) {
    print(`kedge demo: stopped; the logs are kept in ${join(run.dataDir, 'logs')} (remove ${run.dataDir} when done)`);
  } else {
    print(`kedge demo: stopped; data and logs kept in ${run.dataDir}`);
  }
}

/**
 * True when `url` answers 200. Through node:http, not fetch, whose port policy refuses some ports
 * (10080) before connecting; a failure throws what went wrong, for the start's error message.
 */
async function healthy(url: string): Promise<boolean> {
  let res: Awaited<ReturnType<typeof httpRequest>>;
  try {
    res = await httpRequest({ url, timeoutMs: 1000 });
  } catch (err) {
    throw new Error(`GET ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.text.slice(0, 120)}`);
  return true;
}

/** A command line longer than the terminal, broken before a flag with a shell continuation (` \\`). */
export function wrapCommand(line: string, cols: number): string[] {
  if (line.length <= cols || !line.startsWith('  ')) return [line];
  const cut = line.lastIndexOf(' --', cols - 2);
  if (cut <= 2) return [line];
  return [`${line.slice(0, cut)} \\`, ...wrapCommand(`    ${line.slice(cut + 1)}`, cols)];
}
