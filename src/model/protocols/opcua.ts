import { Type, type Static } from '@sinclair/typebox';
import { oneOf } from '../../core/schema/index.js';
import type { ProtocolSchemas, SchemaIssue } from './types.js';

// Registry types are imported as types only: mappers/schemas.ts imports this file.
function issue(path: SchemaIssue['path'], message: string, severity: SchemaIssue['severity'] = 'error'): SchemaIssue {
  return { path, message, severity };
}

/** OPC UA `protocol.configData` and visitor `configData` (KubeEdge's older mapper fields + kedge's `subscribe`). */
export const OPCUA_SECURITY_POLICIES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;

export const OpcuaDeviceConfigSchema = Type.Object(
  {
    url: Type.String({
      pattern: '^opc\\.tcp://[^\\s/:]+(:[0-9]{1,5})?(/\\S*)?$',
      description: 'Endpoint, e.g. opc.tcp://plc.local:4840/server.',
      'x-kedge-expected': 'an endpoint URL starting with opc.tcp:// (e.g. opc.tcp://10.0.0.5:4840)',
    }),
    securityPolicy: Type.Optional(oneOf(OPCUA_SECURITY_POLICIES, 'Security policy (default None).')),
    securityMode: Type.Optional(oneOf(OPCUA_SECURITY_MODES, 'Message security mode (default None).')),
    userName: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String()),
    certificate: Type.Optional(Type.String({ minLength: 1, description: 'Client certificate file (PEM/DER).' })),
    privateKey: Type.Optional(Type.String({ minLength: 1, description: 'Client private key file.' })),
    timeout: Type.Optional(Type.Integer({ minimum: 1, description: 'Request timeout in ms.' })),
    subscribe: Type.Optional(
      Type.Boolean({ description: 'kedge: monitored items instead of polling (default true).' }),
    ),
    acceptUnknownServerCertificates: Type.Optional(
      Type.Boolean({
        description:
          'kedge: trust a server certificate seen for the first time (default true). false: only certificates in <dataDir>/opcua-pki/trusted/certs; an unknown one is put in rejected/ and the device stays offline until it is moved to trusted/certs.',
      }),
    ),
  },
  { description: 'OPC UA connection.' },
);
export type OpcuaDeviceConfig = Static<typeof OpcuaDeviceConfigSchema>;

export const OpcuaVisitorConfigSchema = Type.Object(
  {
    nodeID: Type.Optional(
      Type.String({
        pattern:
          '^((ns=[0-9]+|nsu=[^;]+);)?(i=[0-9]+|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/=]+)$',
        description: 'Node id, e.g. ns=2;s=Temperature or ns=2;i=3.',
        'x-kedge-expected': 'an OPC UA node id such as ns=2;s=Temperature or ns=2;i=1001',
      }),
    ),
    browseName: Type.Optional(Type.String({ minLength: 1, description: 'Browse path used when nodeID is not given.' })),
  },
  { description: 'Which OPC UA node holds the property.' },
);
export type OpcuaVisitorConfig = Static<typeof OpcuaVisitorConfigSchema>;

export function checkOpcuaDevice(c: OpcuaDeviceConfig): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const policy = c.securityPolicy ?? 'None';
  const mode = c.securityMode ?? 'None';
  if (mode !== 'None' && policy === 'None') {
    issues.push(
      issue(['securityMode'], `securityMode ${mode} needs a securityPolicy other than None (e.g. Basic256Sha256)`),
    );
  } else if (policy !== 'None' && mode === 'None') {
    issues.push(issue(['securityPolicy'], `securityPolicy ${policy} needs securityMode Sign or SignAndEncrypt`));
  }
  if (c.password !== undefined && c.userName === undefined)
    issues.push(issue(['password'], 'password is given without userName'));
  if ((c.certificate === undefined) !== (c.privateKey === undefined)) {
    issues.push(
      issue(
        [c.certificate === undefined ? 'privateKey' : 'certificate'],
        'certificate and privateKey go together; give both or neither',
      ),
    );
  }
  return issues;
}

export function checkOpcuaVisitor(v: OpcuaVisitorConfig): SchemaIssue[] {
  if (v.nodeID === undefined && v.browseName === undefined) {
    return [issue([], 'an OPC UA visitor needs nodeID (e.g. ns=2;s=Temperature) or browseName')];
  }
  return [];
}

export const opcuaSchemas: ProtocolSchemas = {
  deviceConfig: OpcuaDeviceConfigSchema,
  visitorConfig: OpcuaVisitorConfigSchema,
  checkDevice: (config) => checkOpcuaDevice(config as OpcuaDeviceConfig),
  checkVisitor: (visitor) => checkOpcuaVisitor(visitor as OpcuaVisitorConfig),
};
