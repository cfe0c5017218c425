import type { Module } from '../../core/module/index.js';
import type { EdgeModuleDeps } from '../index.js';
import { CertificateRotation, hasCredentials, loadCredentials, pkiPaths } from '../join/index.js';
import { createEdgeHub } from './edgehub.js';

/**
 * For `createEdgeNode(config, { extraModules: edgeHubModules })`: EdgeHub when the config names
 * a cloud (`--cloud wss://...`), nothing for a standalone node. On a wss:// link with a node
 * certificate in the data dir (`kedge edge join`), the link presents it and the certificate is
 * renewed before it expires.
 */
export function edgeHubModules(deps: EdgeModuleDeps): Module[] {
  const cloudUrl = deps.config.cloud;
  if (!cloudUrl) return [];
  const { dataDir, node } = deps.config;
  const secure = cloudUrl.startsWith('wss://') && hasCredentials(dataDir);
  if (cloudUrl.startsWith('wss://') && !secure)
    deps.logger.warn(
      { code: 'KEDGE_EDGE_NO_CERTIFICATE', dir: pkiPaths(dataDir).dir },
      `no node certificate in ${pkiPaths(dataDir).dir}: the link goes without one, which a kedge cloud refuses (kedge edge join --cloud URL --token T --node ${node})`,
    );
  if (secure) loadCredentials(dataDir, node); // a certificate of another node stops the start here
  const hub = createEdgeHub({
    bus: deps.bus,
    outbox: deps.outbox,
    logger: deps.logger,
    registry: deps.registry,
    clock: deps.clock,
    cloudUrl,
    node,
    storeId: deps.storeId,
    ...(deps.config.cloudTokenFile === undefined ? {} : { tokenFile: deps.config.cloudTokenFile }),
    ...(secure
      ? {
          tls: () => {
            const c = loadCredentials(dataDir, node);
            return { key: c.key, cert: c.cert, ca: c.ca };
          },
        }
      : {}),
  });
  if (!secure) return [hub];
  const rotation = new CertificateRotation({
    dataDir,
    node,
    cloudUrl,
    logger: deps.logger,
    registry: deps.registry,
    clock: deps.clock,
    rotated: () => hub.reconnect('certificate renewed'),
  });
  return [hub, rotation];
}
