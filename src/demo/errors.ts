import { defineErrors } from '../core/errors/index.js';

export const demoErrors = defineErrors({
  KEDGE_DEMO_PORT_BUSY:
    'Another program (another kedge demo or cloud?) uses the port: stop it or pass the flag named in the message with a free port.',
  KEDGE_DEMO_CHILD_FAILED: 'A process of the demo did not start; its log (path in the message) says why.',
  KEDGE_DEMO_NO_DEVICES:
    'The demo could not prepare any device: check that device-models/ is present (run from a kedge checkout or package).',
});
