import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { oneOf } from '../schema/index.js';

/**
 * The one schema of kedge's configuration (file, environment and flags are all checked against
 * it). Every field has a default so that every command runs with no config file at all.
 */
const Port = (port: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: port, description, errorMessage: 'a port number (1-65535)' });
const MQTT_URL_WORDS = 'an MQTT broker URL: it starts with mqtt:// or mqtts://, e.g. mqtt://127.0.0.1:1883';
const NodeName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
  maxLength: 253,
  default: 'edge-1',
  description: 'Node name (DNS-1123)',
  errorMessage:
    "a node name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (DNS-1123), e.g. line-3",
});

export const LogConfigSchema = Type.Object(
  {
    level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    pretty: Type.Optional(
      Type.Boolean({ description: 'Human-readable log lines; default: when stderr is a terminal' }),
    ),
  },
  { additionalProperties: false, default: {} },
);

export const EdgeConfigSchema = Type.Object(
  {
    node: NodeName,
    dataDir: Type.String({
      minLength: 1,
      default: '.kedge/edge',
      description: 'Folder of the SQLite store, logs and certificates',
    }),
    cloud: Type.Optional(
      Type.String({
        pattern: '^wss?://[^,]+(,\\s*wss?://[^,]+)*$',
        description:
          'CloudHub URL, e.g. ws://cloud:10000, or cloud replicas tried in turn: ws://a:10000,ws://b:10000; none = standalone',
        errorMessage:
          'a CloudHub URL, or several separated by commas: each starts with ws:// or wss://, e.g. ws://cloud.example:10000 or ws://a:10000,ws://b:10000',
      }),
    ),
    cloudTokenFile: Type.Optional(
      Type.String({ minLength: 1, description: "File with the token CloudHub expects (the cloud's --token-file)" }),
    ),
    mqtt: Type.Object(
      {
        port: Port(1884, 'Port of the embedded MQTT broker on 127.0.0.1'),
        anonymous: Type.Union([Type.Literal('all'), Type.Literal('read'), Type.Literal('none')], {
          default: 'read',
          description:
            'Embedded broker: what a client without credentials may do (read, the default: subscribe only; all: publish too, the open broker of earlier kedge versions; none: nothing). The mappers and Pods Edged starts get an account of their own',
        }),
        users: Type.Optional(
          Type.Array(
            Type.Object(
              {
                username: Type.String({ minLength: 1 }),
                passwordFile: Type.String({
                  minLength: 1,
                  description: 'File holding the password (16 characters or more)',
                }),
                publish: Type.Array(Type.String({ minLength: 1 }), {
                  default: [],
                  description: 'Topic filters it may publish to',
                }),
                subscribe: Type.Array(Type.String({ minLength: 1 }), {
                  default: ['#'],
                  description: 'Topic filters it may subscribe to',
                }),
              },
              { additionalProperties: false },
            ),
            { description: 'Embedded broker accounts, each with its topic ACLs (default none)' },
          ),
        ),
        url: Type.Optional(
          Type.String({
            pattern: '^mqtts?://',
            description: 'External broker (e.g. Mosquitto) instead of the embedded one',
            errorMessage: MQTT_URL_WORDS,
          }),
        ),
        maxPacketBytes: Type.Integer({
          minimum: 1024,
          default: 4 * 1024 * 1024,
          description: "Embedded broker: a client's packet larger than this closes its connection (default 4 MiB)",
        }),
        maxRetained: Type.Integer({
          minimum: 16,
          default: 1000,
          description:
            'Embedded broker: retained topics kept at most; beyond, a retained publish is delivered but not kept',
        }),
        maxRetainedBytes: Type.Integer({
          minimum: 1024,
          default: 65_536,
          description: "Embedded broker: a client's retained payload larger than this is delivered but not kept",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    republishDataUpdate: Type.Boolean({
      default: true,
      description:
        "Republish kedge mappers' raw readings on KubeEdge's $ke/events/device/<ns>/<name>/data/update in its DeviceData shape, for consumers written for KubeEdge (embedded broker: only while someone subscribes)",
    }),
    dmiSocket: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Unix socket of KubeEdge's Device Management Interface (gRPC) for DMI mappers; default <dataDir>/dmi.sock (KubeEdge's mappers expect /etc/kubeedge/dmi.sock); off = no DMI",
      }),
    ),
    apiPort: Port(10550, 'Local HTTP API and dashboard port (kedge apply --edge)'),
    apiHost: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description:
        'Local HTTP API and dashboard address; any other than a loopback address needs apiTokenFile (the API writes to devices)',
    }),
    apiTokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File with the token the local API wants from every request but /healthz and the dashboard files',
      }),
    ),
    apiMaxBodyBytes: Type.Integer({
      minimum: 1024,
      default: 4 * 1024 * 1024,
      description: 'Largest request body the local API reads; a larger one is refused with 413',
    }),
    servicebusPort: Port(9060, 'ServiceBus HTTP endpoint on 127.0.0.1'),
    servicebusAllow: Type.Array(Type.String({ minLength: 3 }), {
      default: ['127.0.0.1:*', 'localhost:*'],
      description: 'host:port patterns ServiceBus may call (* matches any run of characters)',
    }),
    mappers: Type.Union([Type.Literal('process'), Type.Literal('inprocess'), Type.Literal('none')], {
      default: 'process',
      description: 'How Edged runs the mappers with runtime process (none: external mappers, with either runtime)',
    }),
    runtime: Type.Union([Type.Literal('process'), Type.Literal('container')], {
      default: 'process',
      description:
        'process: mappers as processes on the host; container: mappers as containers on the container engine',
    }),
    containerSocket: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Docker-API socket of the container engine (podman system service or dockerd); default $CONTAINER_HOST, $DOCKER_HOST, /run/podman/podman.sock or /var/run/docker.sock, the first that exists. Pods from the cloud run there with either runtime',
      }),
    ),
    mapperImage: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Image of mapper containers (runtime container); default localhost/kedge:<kedge version>, built by deploy/container/build-image.sh',
      }),
    ),
    mapperImages: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
      default: {},
      description: 'An image per protocol (e.g. { opcua: registry.example/kedge-opcua:1 }), overriding mapperImage',
    }),
    desiredTimeoutMs: Type.Integer({
      minimum: 100,
      default: 10_000,
      description: 'Time a device has to confirm a desired value (per device: annotation kedge.io/desired-timeout-ms)',
    }),
    twinReportIntervalMs: Type.Integer({
      minimum: 0,
      default: 10_000,
      description: 'Reported-value twin reports to the cloud at most this often per device',
    }),
    batchMs: Type.Integer({
      minimum: 1,
      maximum: 5000,
      default: 50,
      description: 'Hot-path writes wait at most this long for their transaction',
    }),
    batchIdleMs: Type.Integer({
      minimum: 0,
      maximum: 5000,
      default: 5,
      description: 'Commit once no hot-path write has come for this long (a burst ends); 0 = only every batchMs',
    }),
    twinCheckpointMs: Type.Integer({
      minimum: 1000,
      default: 300_000,
      description: 'Journaled reported values are folded into the twin rows this often (also on stop)',
    }),
    twinJournalMs: Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      default: 10_000,
      description:
        "A device's new reported values are journaled at most this often (SD card wear; 0 = with every commit): after a crash its twin's reported values can be this much older than the last reading acknowledged. Telemetry of reportToCloud properties is never held back",
    }),
    pipelineSnapshotMs: Type.Integer({
      minimum: 1000,
      default: 30_000,
      description: 'How often cleansing state is saved (also on stop)',
    }),
    outbox: Type.Object(
      {
        maxBytes: Type.Integer({
          minimum: 1024,
          default: 268_435_456,
          description: 'Outbox size bound; oldest readings dropped beyond it (default 256 MiB)',
        }),
        maxAgeMs: Type.Integer({
          minimum: 1000,
          default: 604_800_000,
          description: 'Readings older than this are dropped (default 7 days)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    disk: Type.Object(
      {
        maxBytes: Type.Integer({
          minimum: 4 * 1024 * 1024,
          default: 402_653_184,
          description:
            'Everything the edge keeps in its data dir (SQLite file and WAL, mapper logs, the reserve) stays within this; the oldest readings are dropped to stay inside it (default 384 MiB)',
        }),
        walBytes: Type.Integer({
          minimum: 256 * 1024,
          default: 32 * 1024 * 1024,
          description:
            "The SQLite WAL's share of maxBytes: checkpointed at half of it (16 MiB: SQLite's own 1,000 pages of 16 KiB), truncated to it",
        }),
        logBytes: Type.Integer({
          minimum: 64 * 1024,
          default: 16 * 1024 * 1024,
          description: "The mapper logs' share of maxBytes (all files of <data-dir>/logs together)",
        }),
        reserveBytes: Type.Integer({
          minimum: 0,
          default: 2 * 1024 * 1024,
          description:
            'A file of this size kept in the data dir and given up when the file system is full, so the edge can still delete old readings and checkpoint',
        }),
        checkIntervalMs: Type.Integer({
          minimum: 100,
          default: 30_000,
          description:
            'How often disk use is measured (the reserve written again, the page cap set, the state updated)',
        }),
        truncateIntervalMs: Type.Integer({
          minimum: 100,
          default: 300_000,
          description:
            'How often the WAL is checkpointed and truncated to zero, giving its space back (between, SQLite checkpoints it at half its share and reuses the file)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    readings: Type.Object(
      {
        maxFutureMs: Type.Integer({
          minimum: 0,
          default: 300_000,
          description: "A reading stamped further ahead of the edge's clock is marked bad (default 5 min)",
        }),
        maxAgeMs: Type.Integer({
          minimum: 1000,
          default: 86_400_000,
          description:
            'A reading stamped further back is marked bad (default 1 day: longer than a mapper holds readings while the edge is away)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    storeFailureLimit: Type.Integer({
      minimum: 1,
      default: 20,
      description:
        'Consecutive failed commits (a full disk excepted) after which the edge stops with exit code 75, so that its supervisor restarts it and the start-up check moves a damaged file aside',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const CloudConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      minLength: 1,
      default: '.kedge/cloud',
      description: 'Folder of the cloud store (with store kubernetes: the link bookkeeping only)',
    }),
    store: Type.String({
      pattern: '^(sqlite|kubernetes|etcd://.+)$',
      default: 'sqlite',
      description:
        'Where devices, models, nodes and status live: sqlite (one process, in dataDir), kubernetes (CRDs, Nodes and Leases of a cluster) or etcd://host1:2379,host2:2379,host3:2379 (replicas)',
    }),
    kubeconfig: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Kubeconfig for store kubernetes; without it $KUBECONFIG, then the in-cluster service account',
      }),
    ),
    kubeNamespace: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
        description:
          "Store kubernetes: the namespace of the replicas' Leases (leader election, node claims); default the kubeconfig context's, in a pod its own, else default",
      }),
    ),
    etcdPrefix: Type.String({
      pattern: '^/.*/$',
      default: '/kedge/',
      description: 'Key prefix of this cloud in etcd (several clouds may share one etcd)',
    }),
    replicaId: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^[A-Za-z0-9._-]+$',
        description: "This replica's name in leader election and node claims (default: hostname-pid-random)",
      }),
    ),
    hubPort: Port(10000, 'CloudHub WebSocket port'),
    hubHost: Type.String({
      minLength: 1,
      default: '0.0.0.0',
      description: 'CloudHub address (edge nodes connect from other machines)',
    }),
    tokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File with the token edge nodes must present; without it CloudHub accepts any client',
      }),
    ),
    apiPort: Port(10090, 'HTTP API port for the CLI (not 10080: fetch refuses that port)'),
    apiHost: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description: 'HTTP API address (without apiTokenFile anyone who reaches it may use it: keep it local)',
    }),
    apiTokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File with the token the HTTP API wants from every request but /healthz',
      }),
    ),
    apiReadTokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File with a token that may only read the HTTP API (GET), /metrics included',
      }),
    ),
    metricsTokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File with a token that may only scrape /metrics (a Prometheus server)',
      }),
    ),
    apiTls: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({ minLength: 1, description: "The API's TLS certificate (PEM, chain included)" }),
          keyFile: Type.String({ minLength: 1, description: 'Its key (PEM)' }),
        },
        { additionalProperties: false, description: 'Serve the HTTP API over HTTPS' },
      ),
    ),
    insecureLink: Type.Boolean({
      default: false,
      description:
        'Plain ws:// link: nodes are who their URL says, with the shared token or none (a lab only). Default: wss:// with a certificate per node (kedge edge join)',
    }),
    pki: Type.Object(
      {
        caCertFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'A CA certificate (PEM) to sign node certificates with; default: kedge creates one in <dataDir>/pki',
          }),
        ),
        caKeyFile: Type.Optional(Type.String({ minLength: 1, description: 'The key of caCertFile (PEM)' })),
        joinPort: Port(10002, 'HTTPS port nodes join and renew their certificates on (KubeEdge: 10002)'),
        nodeCertTtlMs: Type.Integer({
          minimum: 10_000,
          default: 365 * 86_400_000,
          description: 'How long a node certificate is valid; nodes renew at two thirds of it',
        }),
        serverNames: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description:
            "Names and addresses edges reach the cloud by (the cloud's TLS certificate holds them, besides this host's own name and addresses)",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    apiMaxBodyBytes: Type.Integer({
      minimum: 1024,
      default: 8 * 1024 * 1024,
      description: 'Largest request body the HTTP API reads (apply, CSV import); a larger one is refused with 413',
    }),
    apiMaxWaitMs: Type.Integer({
      minimum: 1000,
      default: 60_000,
      description:
        "Longest wait a request may ask for: a longer `?wait=` is cut to it, a ServiceBus call's longer timeoutMs is refused",
    }),
    insecureApi: Type.Boolean({
      default: false,
      description:
        'Let the HTTP API listen beyond 127.0.0.1 without apiTokenFile (refused otherwise: it administers the cloud)',
    }),
    idleTimeoutMs: Type.Integer({
      minimum: 1000,
      default: 60_000,
      description:
        'An HTTP connection to the API or to CloudHub (before its WebSocket upgrade) without a request in progress is closed after this long',
    }),
    keepaliveTimeoutMs: Type.Integer({
      minimum: 1000,
      default: 30_000,
      description: 'A node without any frame for this long is not ready',
    }),
    maxFrameBytes: Type.Integer({
      minimum: 1024,
      default: 4 * 1024 * 1024,
      description: 'Largest WebSocket frame accepted from an edge node',
    }),
    statusIntervalMs: Type.Integer({
      minimum: 0,
      default: 30_000,
      description:
        'Stored twin values in Device status are written at most once per device per interval (state changes at once); the API twin view and the MQTT topics are live',
    }),
    mqtt: Type.Object(
      {
        port: Port(1883, 'Port of the embedded cloud MQTT broker'),
        host: Type.String({
          minLength: 1,
          default: '127.0.0.1',
          description: 'Embedded broker address; 0.0.0.0 lets other machines subscribe',
        }),
        url: Type.Optional(
          Type.String({
            pattern: '^mqtts?://',
            description: 'External cloud broker instead of the embedded one',
            errorMessage: MQTT_URL_WORDS,
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export const MapperConfigSchema = Type.Object(
  {
    node: NodeName,
    mqttUrl: Type.String({
      pattern: '^mqtts?://',
      default: 'mqtt://127.0.0.1:1884',
      description: "The edge node's MQTT broker",
      errorMessage: MQTT_URL_WORDS,
    }),
    protocols: Type.Array(Type.String({ minLength: 1 }), {
      default: ['modbus'],
      description: 'Protocol drivers this process hosts',
    }),
    dataDir: Type.String({
      minLength: 1,
      default: '.kedge/mapper',
      description: 'Folder for driver state (OPC UA certificates)',
    }),
    bufferBytes: Type.Integer({
      minimum: 0,
      default: 8 * 1024 * 1024,
      description:
        'Readings held in memory while the broker (the edge) is away, sent in order when it is back; beyond this the oldest are dropped and counted (default 8 MiB, about 10 minutes of 100 readings/s)',
    }),
    offlinePollMs: Type.Integer({
      minimum: 1000,
      default: 600_000,
      description:
        'After the broker has been away this long the mapper stops polling until it is back (default 10 min)',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const KedgeConfigSchema = Type.Object(
  {
    log: LogConfigSchema,
    edge: EdgeConfigSchema,
    cloud: CloudConfigSchema,
    mapper: MapperConfigSchema,
  },
  { additionalProperties: false, default: {} },
);

export type KedgeConfig = Static<typeof KedgeConfigSchema>;
export type EdgeConfig = Static<typeof EdgeConfigSchema>;
export type CloudConfig = Static<typeof CloudConfigSchema>;
export type MapperConfig = Static<typeof MapperConfigSchema>;

/** The mapper section with every default (a mapper runtime built without a config file). */
export function mapperDefaults(): MapperConfig {
  return Value.Default(MapperConfigSchema, {}) as MapperConfig;
}
export type LogConfig = Static<typeof LogConfigSchema>;
