import { Type, type Static } from '@sinclair/typebox';

/**
 * Joining a node (docs/link.md, "Joining"): KubeEdge's flow. An admin creates a join token
 * (`kedge token create`): the CA certificate's SHA-256 plus an id and a secret, expiring, good for
 * a number of joins. `kedge edge join` fetches the CA from the cloud's join port, checks it against
 * the hash (so a man in the middle cannot hand it another CA), and sends a CSR with the token; the
 * cloud answers with the node's certificate (CN = node name), which the node then presents on
 * the link (mutual TLS).
 */
export const JOIN_PATHS = {
  /** The CA certificate (PEM), to anyone: it is public, and pinned by the token's hash. */
  ca: '/ca.crt',
  /** POST a JoinRequest with `Authorization: Bearer <token>`: a certificate for a new node. */
  join: '/join',
  /** POST a JoinRequest over mutual TLS with the node's current certificate: its next certificate. */
  renew: '/renew',
} as const;

/** `<CA hash, 64 hex>.<token id, 16 hex>.<secret, 32 hex>` */
const TOKEN = /^([0-9a-f]{64})\.([0-9a-f]{16})\.([0-9a-f]{32})$/;

export interface JoinToken {
  caHash: string;
  id: string;
  secret: string;
}

export function formatJoinToken(t: JoinToken): string {
  return `${t.caHash}.${t.id}.${t.secret}`;
}

/** The parts of a join token, or undefined when it is not one (the caller names where it came from). */
export function parseJoinToken(text: string): JoinToken | undefined {
  const m = TOKEN.exec(text.trim());
  return m ? { caHash: m[1]!, id: m[2]!, secret: m[3]! } : undefined;
}

export const JoinRequestSchema = Type.Object(
  {
    node: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
    /** PKCS#10 in PEM; its subject must be `CN=<node>`. */
    csr: Type.String({ minLength: 1, maxLength: 16_384 }),
  },
  { additionalProperties: false },
);
export type JoinRequest = Static<typeof JoinRequestSchema>;

export const JoinResponseSchema = Type.Object({
  /** The node's certificate, PEM. */
  certificate: Type.String(),
  /** The CA that signed it (and the cloud's server certificate), PEM. */
  ca: Type.String(),
  notAfter: Type.String({ description: 'ISO 8601' }),
});
export type JoinResponse = Static<typeof JoinResponseSchema>;

/** What the API's token endpoint takes (`kedge token create`) and answers. */
export const TokenCreateSchema = Type.Object(
  {
    ttlMs: Type.Integer({ minimum: 1000 }),
    uses: Type.Integer({ minimum: 1 }),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type TokenCreate = Static<typeof TokenCreateSchema>;
export const TokenCreatedSchema = Type.Object({
  token: Type.String(),
  id: Type.String(),
  expiresAt: Type.String(),
  uses: Type.Integer(),
});
export type TokenCreated = Static<typeof TokenCreatedSchema>;
