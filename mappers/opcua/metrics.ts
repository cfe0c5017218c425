import { Counter, Gauge, type Histogram, type Registry } from 'prom-client';
import { pollDuration } from '../sdk/contract.js';

export interface OpcuaMetrics {
  notifications: Counter;
  reads: Counter;
  badValues: Counter<'device'>;
  reconnects: Counter;
  sessions: Gauge;
  pollSeconds: Histogram<'protocol'>;
}

/** The driver's metrics on the process registry; reused when another driver instance made them. */
export function opcuaMetrics(registry: Registry): OpcuaMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    notifications: counter('kedge_opcua_notifications_total', 'Values delivered by OPC UA subscriptions'),
    reads: counter('kedge_opcua_reads_total', 'OPC UA Read requests made by polling devices'),
    badValues: counter(
      'kedge_opcua_bad_values_total',
      'Readings with quality bad (status, type mismatch, failed read)',
      ['device'],
    ),
    reconnects: counter('kedge_opcua_reconnects_total', 'OPC UA sessions re-opened after a loss'),
    sessions:
      (registry.getSingleMetric('kedge_opcua_sessions') as Gauge | undefined) ??
      new Gauge({
        name: 'kedge_opcua_sessions',
        help: 'OPC UA sessions the driver keeps open (one per server and identity)',
        registers: [registry],
      }),
    pollSeconds: pollDuration(registry),
  };
}
