import { defineErrors } from '../../core/errors/index.js';

export const etcdErrors = defineErrors({
  KEDGE_ETCD_URL:
    'The etcd store URL is not understood; write etcd://host1:2379,host2:2379,host3:2379 (http:// per member also works).',
  KEDGE_ETCD_UNAVAILABLE: {
    status: 503,
    hint: 'etcd did not answer in time or has no quorum; check the members are up and reachable from this replica. Writes are refused until it answers.',
  },
});
