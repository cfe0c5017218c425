import { defineErrors } from '../../core/errors/index.js';

export const edgedErrors = defineErrors({
  KEDGE_EDGED_SPAWN: 'The mapper command could not be started; check the kedge installation (node and dist/ or tsx).',
  KEDGE_EDGED_INPROCESS:
    'The in-process mapper runtime failed; run with --mappers process to isolate the failing driver.',
  KEDGE_EDGED_NO_ENGINE: {
    status: 503,
    hint: 'No container engine socket was found: start one (`podman system service --time=0 unix:///run/podman/podman.sock`, or Docker) or name it with --container-socket.',
  },
  KEDGE_EDGED_ENGINE_UNREACHABLE: {
    status: 503,
    hint: 'The container engine does not answer on its socket; check that podman system service (or dockerd) runs and the socket path.',
  },
  KEDGE_EDGED_ENGINE: 'The container engine refused the request; its message says why.',
  KEDGE_EDGED_IMAGE:
    'The image is not on this node and could not be pulled: build it here (deploy/container/build-image.sh) or make a registry reachable.',
  KEDGE_EDGED_NO_CONTAINER: { status: 404, hint: 'No such container in the Pod; name one of its containers (-c).' },
  KEDGE_EDGED_NO_POD: {
    status: 404,
    hint: 'No such Pod on this node: check `kedge get pods` (the node may not have received it yet).',
  },
  KEDGE_EDGED_LOGS: 'The container log could not be read; the message says why.',
});
