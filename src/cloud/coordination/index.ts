export {
  LEASE_API_VERSION,
  LEASE_KIND,
  LeaseObserver,
  type LeaseSpec,
  MANAGED_BY,
  ROLE_LABEL,
  leaseName,
  leaseSpec,
  microTime,
} from './lease-record.js';
