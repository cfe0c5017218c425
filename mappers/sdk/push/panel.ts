import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import type { Clock, Timer } from '../../../src/core/clock/index.js';
import { errorText } from '../../../src/core/errors/index.js';
import { counter } from '../../../src/core/metrics/index.js';
import { pushUrl, type DeviceInstance, type PropertyInstance } from '../../../src/model/index.js';
import type { DriverReading } from '../driver.js';
import { httpPushBody, mqttPushPayload } from './format.js';
import { HTTP_PUSH_TIMEOUT_MS, HttpPushTarget, MqttPushTarget, type PushTarget } from './targets.js';

/** KubeEdge's default reportCycle of a push (mapper-framework pkg/common/const.go DefaultReportCycle). */
const DEFAULT_REPORT_CYCLE_MS = 1000;
/** Failures of one target are logged at most this often, with their count. */
const FAILURE_LOG_EVERY_MS = 60_000;

interface PushPlan {
  property: PropertyInstance;
  timer: Timer;
  /** The newest reading since the last push (none: nothing new to push). */
  latest?: { value: string; ts: number };
}

/**
 * KubeEdge's pushMethod in kedge's mappers: every reportCycle, a property's newest reading read
 * since the last push goes to the broker topic (mqtt) or URL (http) its Device names, in the
 * payloads KubeEdge's mapper template sends (format.ts). Readings that are bad (no value) are not
 * pushed, as the template skips a failed read. Pushes are counted by method and outcome; a
 * failing target is logged once a minute with the count.
 */
export class PushPanel {
  private readonly plans = new Map<string, Map<string, PushPlan>>();
  /** The instance each device's plans were made from: a changed device is planned again. */
  private readonly planned = new Map<string, DeviceInstance>();
  private readonly targets = new Map<string, PushTarget>();
  private readonly failures = new Map<string, { count: number; loggedAt: number }>();
  private readonly pushes: Counter<'method' | 'outcome'>;

  constructor(private readonly deps: { clock: Clock; logger: Logger; metrics: Registry; clientId: string }) {
    this.pushes = counter(deps.metrics, {
      name: 'kedge_mapper_pushes_total',
      help: "Readings pushed as a property's pushMethod names (mqtt, http), by outcome",
      labelNames: ['method', 'outcome'],
    });
  }

  /** A poll's readings of one device (the instance as the mapper serves it now). */
  readings(device: DeviceInstance, readings: readonly DriverReading[]): void {
    const plans = this.plansFor(device);
    if (!plans) return;
    for (const r of readings) {
      const plan = plans.get(r.property);
      if (plan && r.value !== null && r.quality !== 'bad') plan.latest = { value: String(r.value), ts: r.ts };
    }
  }

  forget(deviceId: string): void {
    this.unplan(deviceId);
    this.prune();
  }

  private unplan(deviceId: string): void {
    for (const plan of this.plans.get(deviceId)?.values() ?? []) this.deps.clock.clearInterval(plan.timer);
    this.plans.delete(deviceId);
    this.planned.delete(deviceId);
  }

  /** Closes the connections no property pushes to any more (a Device changed its pushMethod or went away). */
  private prune(): void {
    const used = new Set<string>();
    for (const plans of this.plans.values())
      for (const plan of plans.values()) for (const key of targetKeys(plan.property)) used.add(key);
    for (const [key, target] of this.targets)
      if (!used.has(key)) {
        this.targets.delete(key);
        void target.close();
      }
  }

  async stop(): Promise<void> {
    for (const id of [...this.plans.keys()]) this.unplan(id);
    const targets = [...this.targets.values()];
    this.targets.clear();
    await Promise.allSettled(targets.map((t) => t.close()));
  }

  private plansFor(device: DeviceInstance): Map<string, PushPlan> | undefined {
    if (this.planned.get(device.id) === device) return this.plans.get(device.id);
    this.unplan(device.id);
    this.planned.set(device.id, device);
    const plans = new Map<string, PushPlan>();
    for (const p of device.properties) {
      if (!p.pushMethod?.mqtt && !p.pushMethod?.http) continue;
      const plan: PushPlan = {
        property: p,
        timer: this.deps.clock.setInterval(
          () => this.push(device.id, plan),
          p.reportCycleMs || DEFAULT_REPORT_CYCLE_MS,
        ),
      };
      plans.set(p.name, plan);
    }
    if (plans.size > 0) this.plans.set(device.id, plans);
    this.prune();
    return plans.size > 0 ? plans : undefined;
  }

  private push(deviceId: string, plan: PushPlan): void {
    const latest = plan.latest;
    if (!latest) return;
    plan.latest = undefined;
    const { mqtt, http } = plan.property.pushMethod ?? {};
    const [mqttKey, httpKey] = [mqttTargetKey(plan.property), httpTargetKey(plan.property)];
    if (mqtt?.address && mqtt.topic && mqttKey) {
      const key = mqttKey;
      const target = this.target(key, () => new MqttPushTarget(mqtt.address!, `${this.deps.clientId}-push`));
      const qos = (mqtt.qos ?? 0) as 0 | 1 | 2;
      this.settle('mqtt', key, deviceId, plan.property.name, () =>
        target.send(mqttPushPayload(mqtt.topic!, latest.value, latest.ts), {
          topic: mqtt.topic!,
          qos,
          retain: mqtt.retained ?? false,
        }),
      );
    }
    const url = http ? pushUrl(http) : undefined;
    if (http && url && httpKey) {
      const key = httpKey;
      const target = this.target(key, () => new HttpPushTarget(url, http.timeout || HTTP_PUSH_TIMEOUT_MS));
      this.settle('http', key, deviceId, plan.property.name, () =>
        target.send(httpPushBody(plan.property.name, latest.value, latest.ts), {}),
      );
    }
  }

  private target(key: string, make: () => PushTarget): PushTarget {
    let target = this.targets.get(key);
    if (!target) this.targets.set(key, (target = make()));
    return target;
  }

  private settle(
    method: 'mqtt' | 'http',
    key: string,
    deviceId: string,
    property: string,
    send: () => Promise<void>,
  ): void {
    send().then(
      () => {
        this.pushes.inc({ method, outcome: 'ok' });
        this.failures.delete(key);
      },
      (err: unknown) => {
        this.pushes.inc({ method, outcome: 'failed' });
        const now = this.deps.clock.now();
        const f = this.failures.get(key) ?? { count: 0, loggedAt: -Infinity };
        f.count++;
        this.failures.set(key, f);
        if (now - f.loggedAt < FAILURE_LOG_EVERY_MS) return;
        this.deps.logger.warn(
          { deviceId, property, target: key, failures: f.count, err: errorText(err) },
          'pushMethod: readings not pushed',
        );
        f.loggedAt = now;
        f.count = 0;
      },
    );
  }
}

function mqttTargetKey(p: PropertyInstance): string | undefined {
  const mqtt = p.pushMethod?.mqtt;
  return mqtt?.address && mqtt.topic ? `mqtt ${mqtt.address}` : undefined;
}

function httpTargetKey(p: PropertyInstance): string | undefined {
  const http = p.pushMethod?.http;
  const url = http ? pushUrl(http) : undefined;
  return url ? `http ${url.href} ${http?.timeout ?? ''}` : undefined;
}

function targetKeys(p: PropertyInstance): string[] {
  return [mqttTargetKey(p), httpTargetKey(p)].filter((k): k is string => k !== undefined);
}
