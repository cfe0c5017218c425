import { formatDiagnostic } from '../../../src/core/yaml/index.js';
import { validateFiles, type DeviceInstance } from '../../../src/model/index.js';
import { opcuaErrors } from '../errors.js';

/**
 * Reads DeviceModel + Device YAML files or folders with kedge's validator and returns the resolved
 * instances of the devices that use protocol opcua. Any validation error stops the simulator with
 * the validator's positioned diagnostics (`file:line:col: error: ...`), as `kedge validate` prints them.
 */
export async function loadOpcuaInstances(paths: string[]): Promise<DeviceInstance[]> {
  const result = await validateFiles(paths);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const shown = errors.slice(0, 5).map(formatDiagnostic).join('\n');
    const more = errors.length > 5 ? `\n(${errors.length - 5} more; run kedge validate)` : '';
    throw opcuaErrors.create('KEDGE_OPCUA_SIM_MODEL', `the model files have errors:\n${shown}${more}`);
  }
  const instances = result.instances.filter((i) => i.protocol === 'opcua');
  if (instances.length === 0) {
    throw opcuaErrors.create('KEDGE_OPCUA_SIM_MODEL', `${paths.join(', ')}: no Device with protocolName opcua`);
  }
  return instances;
}
