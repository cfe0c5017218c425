import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../client/index.js';
import { DEFAULT_PORTS } from '../core/config/index.js';
import { httpRequest } from '../core/http-client/index.js';
import { packageRoot } from '../core/paths/index.js';
import { ChildSet, type Invocation, type ManagedChild } from './children.js';
import { exampleValue, prepareDemoDevice, type DemoDevice, type DemoProtocol } from './devices.js';
import { assertPortFree, freePort, portAnswers } from './ports.js';
import { LiveScreen } from './screen.js';
import { parseTelemetry, TelemetryView } from './telemetry-view.js';

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
    print(`kedge demo: starting in ${dataDir} (logs in ${join(dataDir, 'logs')})`);
    const devices = await startAll(opts, io, run, print);
    const view = new TelemetryView();
    const consumer = await subscribeTelemetry(opts.mqttPort, view, io, run);
    printHints(opts, devices, print);
    code = await showUntilStopped(opts, io, run, view, consumer, print);
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
    ],
    { ready: () => healthy(`${api}/healthz`) },
  );
  // Together: a cloud that fails while the simulators start must fail the demo at once (awaited
  // later, its rejection would go unhandled and end the process without the demo's own message).
  const [devices] = await Promise.all([startSimulators(io, run), cloud]);
  print(`cloud: API ${api}, edge link ws://127.0.0.1:${o.hubPort}, MQTT 127.0.0.1:${o.mqttPort}`);
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
  const prepare = (p: DemoProtocol, serialPath?: string) =>
    prepareDemoDevice(models, outDir, p, {
      node: run.node,
      modbusPort,
      opcuaPort,
      ...(serialPath ? { serialPath } : {}),
    });
  const modbus = await prepare('modbus');
  const opcua = await prepare('opcua');
  const started = [
    run.children.start('sim-modbus', ['sim', 'modbus', '--model', modbus.file, '--tcp', String(modbusPort)], {
      ready: () => portAnswers(modbusPort),
    }),
    run.children.start('sim-opcua', ['sim', 'opcua', '--model', opcua.file, '--port', String(opcuaPort)], {
      ready: () => portAnswers(opcuaPort),
      readyTimeoutMs: 60_000,
    }),
  ];
  const devices = [modbus, opcua];
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

async function subscribeTelemetry(mqttPort: number, view: TelemetryView, io: DemoIo, run: Running) {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    clientId: `kedge-demo-${process.pid}`,
    reconnectPeriod: 1000,
  });
  run.closers.push(() => client.endAsync());
  const screen = new LiveScreen(io.out);
  client.on('message', (_topic, payload) => {
    const msg = parseTelemetry(payload);
    if (!msg) {
      view.malformed++;
      return;
    }
    view.add(msg, Date.now());
    if (!screen.isTty) for (const line of TelemetryView.lines(msg)) screen.print(line);
  });
  await client.subscribeAsync('kedge/telemetry/#', { qos: 1 });
  return { screen };
}

function printHints(o: DemoOptions, devices: DemoDevice[], print: (s: string) => void): void {
  print('');
  print(`The dashboard (live values, desired values, YAML, tag browser, CSV import): http://127.0.0.1:${o.apiPort}/`);
  print('Telemetry as a consumer receives it from the cloud (Ctrl-C stops everything):');
  print(`  mosquitto_sub -h 127.0.0.1 -p ${o.mqttPort} -t 'kedge/#' -v`);
  const target = devices.find((d) => d.writable.length > 0);
  if (target) {
    const w = target.writable[0]!;
    print('Change a desired value (the edge writes it to the device and reads it back):');
    // Started with `npx kedge demo` (a fresh clone), `kedge` alone is not on the PATH.
    const kedge = process.env.npm_command === 'exec' ? 'npx kedge' : 'kedge';
    // The CLI's default --server is the default API port: name it only when the demo uses another.
    const server = o.apiPort === DEFAULT_PORTS.cloudApi ? '' : ` --server http://127.0.0.1:${o.apiPort}`;
    print(`  ${kedge} twin set ${target.id} ${w.name}=${exampleValue(w.type)} --wait${server}`);
    print(`  ${kedge} get twin ${target.id}${server}`);
  }
  print('');
}

async function showUntilStopped(
  o: DemoOptions,
  io: DemoIo,
  run: Running,
  view: TelemetryView,
  consumer: { screen: LiveScreen },
  print: (s: string) => void,
): Promise<number> {
  const { screen } = consumer;
  const stopAt = o.durationS !== undefined ? Date.now() + o.durationS * 1000 : Infinity;
  let interrupted = false;
  void io.interrupted.then(() => (interrupted = true));
  while (!interrupted && !run.died && Date.now() < stopAt) {
    if (screen.isTty)
      screen.redraw(
        `${view.table(Date.now(), screen.maxRows)}${view.readings} readings from ${view.size} properties; Ctrl-C to stop\n`,
      );
    await Promise.race([new Promise((r) => setTimeout(r, 1000)), io.interrupted]);
  }
  if (screen.isTty) screen.redraw(view.table(Date.now(), screen.maxRows));
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
