import { defineErrors } from '../../core/errors/index.js';

export const cloudStoreErrors = defineErrors({
  KEDGE_CLOUD_STORE_OPEN:
    'The cloud store file could not be opened; check --data-dir is writable and not used by another kedge cloud.',
  KEDGE_CLOUD_STORE_MIGRATION:
    'A schema migration of the cloud store failed and was rolled back; the file may come from a newer kedge.',
  KEDGE_CLOUD_STORE_EXISTS: { status: 409, hint: 'The object exists already; update it instead of creating it.' },
  KEDGE_CLOUD_STORE_NOT_FOUND: {
    status: 404,
    hint: 'No such object; list the objects of that kind to see what exists.',
  },
  KEDGE_CLOUD_STORE_CONFLICT: {
    status: 409,
    hint: 'The object changed since it was read (resourceVersion differs); read it again and retry.',
  },
  KEDGE_CLOUD_STORE_EXPIRED:
    'The watch started from a version older than the kept history; list again and watch from the list version.',
  KEDGE_CLOUD_STORE_INVALID: {
    status: 400,
    hint: 'The object lacks kind or metadata.name; every stored object needs both.',
  },
  KEDGE_CLOUD_STORE_SELECTOR: {
    status: 400,
    hint: 'The label selector is not understood; use a=b, a!=b, a or !a, separated by commas.',
  },
  KEDGE_CLOUD_STORE_CLOSED: 'The store is closed; the cloud is stopping.',
  KEDGE_CLOUD_STORE_UNREADABLE:
    'A record in the store is not what this kedge writes (another version, or edited by hand). Inspect the key named; deleting it gives up what it held.',
  KEDGE_CLOUD_STORE_KUBECONFIG:
    'No Kubernetes credentials: give --kubeconfig FILE, set $KUBECONFIG, or run kedge cloud in a pod with a service account.',
  KEDGE_CLOUD_STORE_KUBE_UNREACHABLE: {
    status: 503,
    hint: 'The Kubernetes API server did not answer; check the server address in the kubeconfig and the network to it.',
  },
  KEDGE_CLOUD_STORE_KUBE_DENIED: {
    status: 503,
    hint: "The Kubernetes API refused kedge's credentials or their permissions; check the kubeconfig user, or the ServiceAccount's RBAC (deploy/kubernetes/02-rbac.yaml).",
  },
  KEDGE_CLOUD_STORE_KUBE_REFUSED: {
    status: 422,
    hint: 'The Kubernetes API refused the object as invalid; the message names the field (the CRDs in the cluster may be older than kedge: apply deploy/crds).',
  },
  KEDGE_CLOUD_STORE_KUBE_NO_CRDS:
    'The cluster does not serve the devices.kubeedge.io resources kedge needs; install the CRDs: kubectl apply -f deploy/crds/',
  KEDGE_CLOUD_STORE_UNKNOWN_KIND: 'The store has no Kubernetes resource for this kind.',
});
