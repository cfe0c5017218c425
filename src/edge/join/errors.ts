import { defineErrors } from '../../core/errors/index.js';

export const edgeJoinErrors = defineErrors({
  KEDGE_JOIN_BAD_TOKEN:
    'The join token must be the line `kedge token create` printed: <CA hash>.<id>.<secret> (64, 16 and 32 hex digits).',
  KEDGE_JOIN_WRONG_CA:
    "The cloud presented a CA whose hash is not the token's: the --cloud URL reaches another cloud, or something in between replaced its certificate. Check the URL; do not join.",
  KEDGE_JOIN_UNREACHABLE:
    "The cloud's join port did not answer: check the --cloud URL, that the cloud runs, and that its join port (10002, --join-port) is open.",
  KEDGE_JOIN_REFUSED: 'The cloud refused the join; its message says why (token expired or used up, name taken).',
  KEDGE_JOIN_ALREADY:
    'This data dir already holds a node certificate; join with another --data-dir, or remove <data-dir>/pki to join again.',
  KEDGE_EDGE_NO_CERTIFICATE:
    'A wss:// link needs the node certificate that `kedge edge join --cloud URL --token T --node NAME` stores in <data-dir>/pki.',
  KEDGE_EDGE_WRONG_CERTIFICATE:
    "The certificate in <data-dir>/pki is another node's: start the edge with the --node it joined as, or join this node with its own data dir.",
});
