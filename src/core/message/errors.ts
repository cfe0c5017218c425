import { defineErrors } from '../errors/index.js';

export const messageErrors = defineErrors({
  KEDGE_MESSAGE_MALFORMED:
    'The peer sent something that is not a KubeEdge beehive message ({header, route, content}); check the peer speaks the same protocol version.',
});
