import { randomBytes, randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { edgeTopics } from '../../../src/contracts/index.js';
import { mapperLogin } from '../../../src/edge/testing/index.js';

/**
 * Stands in for a mapper at a fixed reading rate: every tick it publishes one data/raw per
 * device with a sequence number as the value of each property (QoS 1). A reading is "acked" when
 * the edge acknowledged it (PUBACK, which the edge sends after its commit); a sent one without
 * PUBACK (connection lost) may or may not have reached the edge. Nothing is re-sent, so the MQTT
 * hop adds no duplicate of its own. It logs in as a mapper started by hand does: kedge-mapper with
 * the password in the edge's data dir (clients without credentials may only subscribe).
 */
export class SyntheticMapper {
  readonly acked = new Map<string, Set<number>>();
  readonly sent = new Map<string, Set<number>>();
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private connecting = false;

  constructor(
    private readonly devices: string[],
    private readonly properties: string[],
    private readonly edge: { mqttPort: number; dataDir: string },
    /**
     * A STRING property that gets 64 random characters with every tick (counted as a reading):
     * readings that do not compress, for tests that fill a disk (the outbox stores bodies compressed).
     */
    private readonly noise?: string,
  ) {
    for (const d of devices) {
      this.acked.set(d, new Set());
      this.sent.set(d, new Set());
    }
  }

  /** Readings per second = devices x properties x 1000 / tickMs. */
  start(tickMs: number): void {
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    const end = Date.now() + 5000; // let the last publishes get their PUBACKs
    while (this.unackedCount() > 0 && c.connected && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await c.endAsync(true);
  }

  /** Readings (device x property) acknowledged by the edge. */
  get ackedReadings(): number {
    return [...this.acked.values()].reduce((n, s) => n + s.size, 0) * this.perTick;
  }

  private get perTick(): number {
    return this.properties.length + (this.noise ? 1 : 0);
  }

  get sentReadings(): number {
    return [...this.sent.values()].reduce((n, s) => n + s.size, 0) * this.perTick;
  }

  private unackedCount(): number {
    return this.sentReadings - this.ackedReadings;
  }

  private tick(): void {
    if (!this.client) void this.connect();
    const c = this.client;
    if (!c?.connected) return;
    const seq = this.seq++;
    const ts = Date.now();
    for (const device of this.devices) {
      const payload = JSON.stringify({
        event_id: randomUUID(),
        timestamp: ts,
        readings: [
          ...this.properties.map((property) => ({ property, value: seq, quality: 'good', ts })),
          ...(this.noise
            ? [{ property: this.noise, value: randomBytes(48).toString('base64'), quality: 'good', ts }]
            : []),
        ],
      });
      this.sent.get(device)!.add(seq);
      c.publishAsync(edgeTopics.dataRaw(device), payload, { qos: 1 }).then(
        () => this.acked.get(device)!.add(seq),
        () => undefined,
      );
    }
  }

  private async connect(): Promise<void> {
    if (this.connecting) return;
    this.connecting = true;
    try {
      const c = await connectAsync(`mqtt://127.0.0.1:${this.edge.mqttPort}`, {
        ...mapperLogin(this.edge.dataDir),
        reconnectPeriod: 0,
        connectTimeout: 1000,
        clean: true,
      });
      c.on('error', () => undefined);
      c.on('close', () => {
        if (this.client !== c) return;
        this.client = undefined;
        // A reconnecting client would re-send what was in flight: a duplicate if the edge had committed it.
        c.end(true);
      });
      this.client = c;
    } catch {
      // The edge is down: a later tick tries again.
    } finally {
      this.connecting = false;
    }
  }
}
