import { Counter, type Registry } from 'prom-client';

export interface SerialMetrics {
  frames: Counter<'device'>;
  badFrames: Counter<'device' | 'reason'>;
  badValues: Counter<'device' | 'property'>;
  requests: Counter<'device' | 'outcome'>;
  opens: Counter<'port' | 'outcome'>;
}

/** The serial driver's counters; reused when the registry already has them (driver restarted in one process). */
export function serialMetrics(registry: Registry): SerialMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    frames: counter('kedge_serial_frames_total', 'Frames that carried at least one property of the device', ['device']),
    badFrames: counter(
      'kedge_serial_bad_frames_total',
      "Bytes thrown away on the device's port, by reason (checksum, garbage, overlong, malformed, unmatched)",
      ['device', 'reason'],
    ),
    badValues: counter(
      'kedge_serial_bad_values_total',
      'Properties found in a frame whose value did not parse (reported with quality bad)',
      ['device', 'property'],
    ),
    requests: counter('kedge_serial_requests_total', 'Request-mode commands by outcome (ok, timeout, closed)', [
      'device',
      'outcome',
    ]),
    opens: counter('kedge_serial_port_opens_total', 'Attempts to open a serial port, by outcome (ok, failed)', [
      'port',
      'outcome',
    ]),
  };
}
