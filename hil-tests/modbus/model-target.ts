/**
 * Where a model's devices are served in a hil-test: the simulator (default), or real hardware
 * when the environment names it:
 *   KEDGE_HIL_MODBUS_TCP=host:port   a Modbus TCP device or gateway
 *   KEDGE_HIL_MODBUS_RTU=/dev/ttyUSB0 a serial line (baud etc. from the model's Device)
 *   KEDGE_HIL_MODBUS_MODEL=<file>    the Device + DeviceModel YAML of what is connected
 */
import type { DeviceInstance } from '../../src/model/index.js';

export interface HardwareTarget {
  kind: 'tcp' | 'rtu';
  address: string;
  model: string;
}

export function hardwareTarget(env: NodeJS.ProcessEnv = process.env): HardwareTarget | undefined {
  const tcp = env.KEDGE_HIL_MODBUS_TCP;
  const rtu = env.KEDGE_HIL_MODBUS_RTU;
  if (!tcp && !rtu) return undefined;
  const model = env.KEDGE_HIL_MODBUS_MODEL;
  if (!model)
    throw new Error(
      'KEDGE_HIL_MODBUS_TCP/RTU is set: also set KEDGE_HIL_MODBUS_MODEL to the Device/DeviceModel YAML of the connected device',
    );
  return tcp ? { kind: 'tcp', address: tcp, model } : { kind: 'rtu', address: rtu!, model };
}

/** The device pointed at a TCP endpoint (serial settings dropped), keeping its unit and timing. */
export function overTcp(device: DeviceInstance, host: string, port: number): DeviceInstance {
  const { serialPort: _s, baudRate: _b, dataBits: _d, parity: _p, stopBits: _t, ...rest } = device.protocolConfig;
  return { ...device, protocolConfig: { ...rest, communicateMode: 'TCP', ip: host, port } };
}

/** The device on a serial line at `path` (its baud rate, parity... kept). */
export function overRtu(device: DeviceInstance, path: string): DeviceInstance {
  const { ip: _i, port: _p, ...rest } = device.protocolConfig;
  return { ...device, protocolConfig: { ...rest, communicateMode: 'RTU', serialPort: path } };
}

export function onHardware(device: DeviceInstance, target: HardwareTarget): DeviceInstance {
  if (target.kind === 'rtu') return overRtu(device, target.address);
  const [host, port] = target.address.split(':');
  return overTcp(device, host ?? '127.0.0.1', Number(port ?? 502));
}
