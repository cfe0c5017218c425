import { SerialPort } from 'serialport';
import { serialErrors } from './errors.js';
import type { SerialDeviceConfig } from '../../src/model/index.js';

export interface PortSettings {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

export interface PortEvents {
  data(chunk: Buffer): void;
  /** The port closed without being asked to (unplugged, socat gone, I/O error). */
  closed(reason: string): void;
}

export interface PortLink {
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Opens a port; rejects when it cannot. Injected so the driver is tested without a tty. */
export type PortOpener = (settings: PortSettings, events: PortEvents) => Promise<PortLink>;

/** The device config's line settings with the usual defaults (9600 8N1). */
export function portSettings(config: SerialDeviceConfig): PortSettings {
  return {
    path: config.serialPort,
    baudRate: config.baudRate ?? 9600,
    dataBits: config.dataBits ?? 8,
    parity: config.parity ?? 'none',
    stopBits: config.stopBits ?? 1,
  };
}

export function describeSettings(s: PortSettings): string {
  return `${s.baudRate} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;
}

export const openSerialPort: PortOpener = (settings, events) =>
  new Promise<PortLink>((resolve, reject) => {
    const port = new SerialPort({ ...settings, autoOpen: false });
    let closing = false;
    port.on('data', (chunk: Buffer) => events.data(chunk));
    // An error while open (EIO after unplug) is followed by 'close'; log-free here, the line reports it.
    port.on('error', () => undefined);
    port.on('close', (err?: Error | null) => {
      if (!closing) events.closed(err?.message ?? 'the port closed');
    });
    port.open((err) => {
      if (err) {
        reject(
          serialErrors.create('KEDGE_SERIAL_OPEN_FAILED', `cannot open ${settings.path}: ${err.message}`, {
            cause: err,
          }),
        );
        return;
      }
      resolve({
        write: (data) =>
          new Promise<void>((done, fail) => {
            port.write(data, (e) =>
              e
                ? fail(
                    serialErrors.create('KEDGE_SERIAL_NOT_OPEN', `writing to ${settings.path} failed: ${e.message}`, {
                      cause: e,
                    }),
                  )
                : done(),
            );
          }),
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            if (!port.isOpen) return done();
            port.close(() => done());
          }),
      });
    });
  });
