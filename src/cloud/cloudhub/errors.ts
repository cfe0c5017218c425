import { defineErrors } from '../../core/errors/index.js';

export const cloudhubErrors = defineErrors({
  KEDGE_CLOUDHUB_LISTEN:
    'CloudHub could not listen on its port; check --hub-port is free (another kedge cloud?) and the address exists.',
  KEDGE_CLOUDHUB_BAD_PATH:
    'The edge connected to a path other than /<project>/<node>/events; check the --cloud URL of the edge.',
  KEDGE_CLOUDHUB_MALFORMED_FRAME: {
    status: 502,
    hint: 'The edge sent a frame that is not a beehive message; check both sides run the same kedge version.',
  },
  KEDGE_CLOUDHUB_FRAME_TOO_BIG:
    'The edge sent a frame above the size limit; raise the limit on both sides or send smaller batches.',
  KEDGE_CLOUDHUB_UNKNOWN_RESOURCE:
    'The edge sent a resource type the cloud does not handle; check both sides run the same kedge version.',
  KEDGE_CLOUDHUB_NOT_CONNECTED: {
    status: 503,
    hint: "The node is not connected to this cloud now; check `kedge get nodes` and the edge's --cloud URL. ServiceBus calls are never queued.",
  },
  KEDGE_CLOUDHUB_CALL_TIMEOUT: {
    status: 504,
    hint: 'The node did not answer in time; raise timeoutMs (--timeout), or check the target answers quickly and the link is not congested.',
  },
  KEDGE_CLOUDHUB_LINK_LOST: {
    status: 502,
    hint: 'The link to the node dropped during the call; the call may or may not have reached the target. Retry when the node is connected again.',
  },
  KEDGE_CLOUDHUB_TOO_MANY_CALLS: {
    status: 429,
    hint: 'Too many ServiceBus calls are waiting for this node; retry later, or make fewer calls at once.',
  },
  KEDGE_CLOUDHUB_CALL_TOO_LARGE: {
    status: 413,
    hint: 'The call is larger than a link frame may carry; send a smaller body.',
  },
  KEDGE_CLOUDHUB_HANDLER_FAILED:
    'A message could not be handled right now (broker or store unavailable); the edge sends it again after reconnecting.',
});
