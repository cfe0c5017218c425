import type { Module } from '../../core/module/index.js';
import type { EdgeModuleDeps } from '../index.js';
import { createEdgeHub } from './edgehub.js';

/**
 * For `createEdgeNode(config, { extraModules: edgeHubModules })`: EdgeHub when the config names
 * a cloud (`--cloud ws://...`), nothing for a standalone node.
 */
export function edgeHubModules(deps: EdgeModuleDeps): Module[] {
  const cloudUrl = deps.config.cloud;
  if (!cloudUrl) return [];
  return [
    createEdgeHub({
      bus: deps.bus,
      outbox: deps.outbox,
      logger: deps.logger,
      registry: deps.registry,
      clock: deps.clock,
      cloudUrl,
      node: deps.config.node,
      storeId: deps.storeId,
      ...(deps.config.cloudTokenFile === undefined ? {} : { tokenFile: deps.config.cloudTokenFile }),
    }),
  ];
}
