import { defineErrors } from '../../core/errors/index.js';

export const opcuaBrowseErrors = defineErrors({
  KEDGE_OPCUABROWSE_TIMEOUT:
    'The OPC UA server did not answer the browse in time; check it is reachable from the edge node and not overloaded.',
  KEDGE_OPCUABROWSE_FAILED:
    'The edge’s OPC UA browser process failed; see the edge log. The next request starts a new one.',
});
