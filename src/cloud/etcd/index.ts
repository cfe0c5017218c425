export { connectEtcd, parseEtcdUrl, unavailable, type EtcdConnectOptions } from './client.js';
export { etcdErrors } from './errors.js';
