import { defineErrors } from '../core/errors/index.js';

export const clientErrors = defineErrors({
  KEDGE_CLIENT_UNREACHABLE:
    'Start the server (`kedge cloud`, or `kedge edge` for --edge) or point --server at one that runs.',
  KEDGE_CLIENT_BAD_SERVER: '--server must be an http:// or https:// URL, e.g. http://127.0.0.1:10090.',
  KEDGE_CLIENT_BAD_RESPONSE:
    'The server answered something that is not kedge API JSON; check --server points at a kedge cloud or edge.',
  KEDGE_CLIENT_BAD_NAME: 'Name a device or model as <namespace>/<name> (or <name> for namespace default).',
  KEDGE_CLIENT_BAD_ARGUMENT: 'Check the command line against `kedge <command> --help`.',
  KEDGE_CLIENT_NOT_CONFIRMED:
    'The device did not confirm the desired value in time; see `kedge get twin` for the failure reason.',
});
