import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  type StatusCode,
} from 'node-opcua';
import type { DeviceInstance, PropertyValue } from '../../../src/model/index.js';
import { opcuaErrors } from '../errors.js';
import { buildDeviceVariables, type SimVariable, variantOf } from './address-space.js';
import { addGeneratedVariables, type GeneratedOptions } from './generated.js';
import { loadOpcuaInstances } from './load-model.js';
import { signalFor } from './signals.js';

export interface OpcuaSimOptions {
  /** DeviceModel + Device YAML files (devices with protocolName opcua are served). */
  files?: string[];
  /** Already resolved instances (instead of, or besides, files). */
  instances?: DeviceInstance[];
  /** TCP port; 0 (default) picks a free one. The server binds 127.0.0.1 unless `host` says otherwise. */
  port?: number;
  host?: string;
  /** Certificates; a temporary folder (removed by stop) when absent. Never $HOME. */
  pkiDir?: string;
  /** How often modeled ReadOnly values change (default 1000 ms); ReadWrite ones hold what was written. */
  updateIntervalMs?: number;
  /** Accepted user names and passwords; anonymous stays allowed unless `allowAnonymous: false`. */
  users?: { userName: string; password: string }[];
  allowAnonymous?: boolean;
  /** Trust unknown client certificates (default true); false rejects Sign/SignAndEncrypt clients not in `<pkiDir>/server/trusted`. */
  acceptUnknownClientCertificates?: boolean;
  /** Answer CreateSubscription with BadTooManySubscriptions (a server without subscriptions). */
  refuseSubscriptions?: boolean;
  /** Extra load: `count` Double variables ns=1;s=gen.<i> changing every `intervalMs`. */
  generated?: GeneratedOptions;
}

export interface OpcuaSim {
  endpointUrl: string;
  port: number;
  pkiDir: string;
  /** The variables served, in ns=<index>;... form. */
  nodeIds(): string[];
  /** Sessions currently open on the server. */
  sessionCount(): number;
  /** Changes made so far to the generated variables (0 without `generated`). */
  generatedChanges(): number;
  /** Sets a modeled variable's value (by nodeID or `<device name>/<property>`), status Good. */
  setValue(ref: string, value: PropertyValue): void;
  /** Gives a variable a status (e.g. BadSensorFailure); its value stays. */
  setStatus(ref: string, statusName: string): void;
  /** The current value of a variable. */
  getValue(ref: string): unknown;
  stop(): Promise<void>;
}

/** Starts an OPC UA server exposing the modeled variables with plausibly changing values. */
export async function startOpcuaSim(options: OpcuaSimOptions): Promise<OpcuaSim> {
  const instances = [
    ...(options.instances ?? []),
    ...(options.files?.length ? await loadOpcuaInstances(options.files) : []),
  ];
  const ownPki = options.pkiDir === undefined;
  const pkiDir = options.pkiDir ?? (await mkdtemp(join(tmpdir(), 'kedge-opcua-sim-')));
  const server = createServer(options, pkiDir);
  let timer: ReturnType<typeof setInterval> | undefined;
  let generated: ReturnType<typeof addGeneratedVariables> | undefined;
  try {
    await server.initialize();
    const addressSpace = server.engine.addressSpace!;
    const variables = buildDeviceVariables(addressSpace, instances);
    generated = options.generated ? addGeneratedVariables(addressSpace, options.generated) : undefined;
    timer = startSignals(variables, options.updateIntervalMs ?? 1000);
    if (options.refuseSubscriptions) server.engine.serverCapabilities.maxSubscriptionsPerSession = 0;
    await server.start();
    const port = server.endpoints[0]!.port;
    return {
      endpointUrl: `opc.tcp://${options.host ?? '127.0.0.1'}:${port}`,
      port,
      pkiDir,
      nodeIds: () => variables.map((v) => v.nodeId),
      sessionCount: () => server.currentSessionCount,
      generatedChanges: () => generated?.changes() ?? 0,
      setValue: (ref, value) => {
        const v = find(variables, ref);
        v.variable.setValueFromSource(variantOf(v.property.type, value), StatusCodes.Good);
      },
      setStatus: (ref, statusName) => {
        const v = find(variables, ref);
        const status = (StatusCodes as unknown as Record<string, StatusCode>)[statusName];
        if (!status)
          throw opcuaErrors.create('KEDGE_OPCUA_SIM_UNKNOWN_NODE', `status ${statusName} is not an OPC UA status name`);
        v.variable.setValueFromSource(v.variable.readValue().value, status);
      },
      getValue: (ref) => find(variables, ref).variable.readValue().value.value,
      stop: async () => {
        clearInterval(timer);
        generated?.stop();
        await server.shutdown(0);
        if (ownPki) await rm(pkiDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    // The signals would go on touching an address space that shutdown disposes (a crash, e.g.
    // after EADDRINUSE).
    clearInterval(timer);
    generated?.stop();
    await server.shutdown(0).catch(() => undefined);
    if (ownPki) await rm(pkiDir, { recursive: true, force: true });
    throw err;
  }
}

function createServer(options: OpcuaSimOptions, pkiDir: string): OPCUAServer {
  const users = options.users ?? [];
  return new OPCUAServer({
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    hostname: options.host ?? '127.0.0.1',
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'server'),
      automaticallyAcceptUnknownCertificate: options.acceptUnknownClientCertificates ?? true,
    }),
    userCertificateManager: new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'users'),
      automaticallyAcceptUnknownCertificate: true,
    }),
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [
      SecurityPolicy.None,
      SecurityPolicy.Basic128Rsa15,
      SecurityPolicy.Basic256,
      SecurityPolicy.Basic256Sha256,
      SecurityPolicy.Aes128_Sha256_RsaOaep,
      SecurityPolicy.Aes256_Sha256_RsaPss,
    ],
    allowAnonymous: options.allowAnonymous ?? true,
    userManager: {
      isValidUser: (userName: string, password: string) =>
        users.some((u) => u.userName === userName && u.password === password),
    },
    buildInfo: { productName: 'kedge OPC UA simulator' },
    disableDiscovery: true,
  });
}

/** Moves every ReadOnly variable to its next simulated value each interval. */
function startSignals(variables: SimVariable[], intervalMs: number): NodeJS.Timeout {
  const moving = variables
    .filter((v) => v.property.accessMode === 'ReadOnly')
    .map((v) => ({ v, next: signalFor(v.property) }));
  let tick = 0;
  return setInterval(() => {
    tick += 1;
    for (const { v, next } of moving) {
      if (v.variable.readValue().statusCode.isGood())
        v.variable.setValueFromSource(variantOf(v.property.type, next(tick)), StatusCodes.Good);
    }
  }, intervalMs);
}

function find(variables: SimVariable[], ref: string): SimVariable {
  const v = variables.find((x) => x.nodeId === ref || `${x.device.split('/')[1]}/${x.property.name}` === ref);
  if (!v)
    throw opcuaErrors.create(
      'KEDGE_OPCUA_SIM_UNKNOWN_NODE',
      `the simulator serves no variable ${ref} (known: ${variables.map((x) => x.nodeId).join(', ')})`,
    );
  return v;
}
