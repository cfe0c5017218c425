import { defineErrors } from '../../core/errors/index.js';

export const cloudPkiErrors = defineErrors({
  KEDGE_PKI_CA:
    'The CA could not be loaded or created: give both --ca-cert-file and --ca-key-file (a CA certificate and its key, PEM), or neither (kedge creates one in <data-dir>/pki).',
  KEDGE_PKI_DISABLED: {
    status: 409,
    hint: 'This cloud runs the insecure lab link (--insecure-link): there are no join tokens nor certificates. Start it without --insecure-link.',
  },
  KEDGE_PKI_SHARED_TOKEN:
    'The shared token (--token-file) works only on the insecure lab link: add --insecure-link for a lab, or drop --token-file and join each node with `kedge token create` and `kedge edge join`.',
  KEDGE_JOIN_LISTEN: 'The join port could not be opened; check --join-port is free and the address exists.',
  KEDGE_JOIN_BAD_REQUEST: {
    status: 400,
    hint: 'Send a JSON body { "node": "<name>", "csr": "<PKCS#10 PEM with CN=<name>>" } (kedge edge join does).',
  },
  KEDGE_JOIN_TOKEN_INVALID: {
    status: 401,
    hint: 'The join token is unknown, expired or used up: create a new one with `kedge token create` on the cloud side.',
  },
  KEDGE_JOIN_NODE_EXISTS: {
    status: 409,
    hint: 'A node of that name holds a valid certificate: pick another name, or revoke it first with `kedge delete node <name>`.',
  },
  KEDGE_JOIN_NOT_AUTHENTICATED: {
    status: 401,
    hint: "Renewal needs the node's current certificate (mutual TLS); a node without one joins with a token.",
  },
  KEDGE_JOIN_REVOKED: {
    status: 403,
    hint: 'The certificate was revoked (`kedge delete node`): the node must join again with a new token.',
  },
});
