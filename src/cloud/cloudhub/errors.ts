import { defineErrors } from '../../core/errors/index.js';

export const cloudhubErrors = defineErrors({
  KEDGE_CLOUDHUB_LISTEN: 'CloudHub could not listen on its port; check --hub-port is free (another kedge cloud?) and the address exists.',
  KEDGE_CLOUDHUB_BAD_PATH: 'The edge connected to a path other than /<project>/<node>/events; check the --cloud URL of the edge.',
  KEDGE_CLOUDHUB_MALFORMED_FRAME: 'The edge sent a frame that is not a beehive message; check both sides run the same kedge version.',
  KEDGE_CLOUDHUB_FRAME_TOO_BIG: 'The edge sent a frame above the size limit; raise the limit on both sides or send smaller batches.',
  KEDGE_CLOUDHUB_UNKNOWN_RESOURCE: 'The edge sent a resource type the cloud does not handle; check both sides run the same kedge version.',
  KEDGE_CLOUDHUB_HANDLER_FAILED: 'A message could not be handled right now (broker or store unavailable); the edge sends it again after reconnecting.',
});
