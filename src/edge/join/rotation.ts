import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { JOIN_PATHS } from '../../contracts/index.js';
import { systemClock, type Clock, type Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { loadCredentials, writeCredentials, type NodeCredentials } from './files.js';
import { joinUrlOf, requestCertificate } from './join.js';

export interface RotationOptions {
  dataDir: string;
  node: string;
  /** The join port's URL, when the node's joined.json does not say (the link URL's host, port 10002). */
  cloudUrl: string;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Called with the new files in place: the link reconnects to present the new certificate. */
  rotated: () => void;
}

/** Renewals start at this share of the certificate's lifetime (kubelet renews at 70-90 %). */
const RENEW_AT = 2 / 3;
/** After a failed renewal: retry after a tenth of what is left, between 1 s and 5 min. */
const retryDelay = (leftMs: number) => Math.min(300_000, Math.max(1000, Math.floor(leftMs / 10)));

/**
 * Renews the node's certificate before it expires (docs/link.md, "Rotation"): at two thirds of
 * its lifetime, a new key and CSR go to the join port over mutual TLS with the current
 * certificate; the new files replace the old ones and the link reconnects with them. The old
 * certificate stays valid until its end, so a renewal that fails is retried while the link runs.
 */
export class CertificateRotation implements Module {
  readonly name = 'certrotation';
  readonly group = 'hub';
  private timer: Timer | undefined;
  private running = false;
  private renewals: Counter<'outcome'> | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly o: RotationOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger.child({ module: 'certrotation' });
  }

  async start(): Promise<void> {
    this.renewals ??= new Counter({
      name: 'kedge_edge_certificate_renewals_total',
      help: "Renewals of the node's certificate by outcome (ok, failed)",
      labelNames: ['outcome'],
      registers: [this.o.registry],
    });
    this.running = true;
    this.schedule(loadCredentials(this.o.dataDir, this.o.node));
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(current: NodeCredentials, afterFailure = false): void {
    if (!this.running) return;
    const now = this.clock.now();
    const renewAt = current.notBefore + (current.notAfter - current.notBefore) * RENEW_AT;
    const delay = afterFailure ? retryDelay(current.notAfter - now) : Math.max(0, renewAt - now);
    this.log.debug({ notAfter: new Date(current.notAfter).toISOString(), inMs: delay }, 'next certificate renewal');
    this.timer = this.clock.setTimeout(() => void this.renew(current), Math.min(delay, 2_147_483_647));
  }

  private async renew(current: NodeCredentials): Promise<void> {
    this.timer = undefined;
    const base = current.joined?.join ?? joinUrlOf(this.o.cloudUrl);
    try {
      const answer = await requestCertificate(base, JOIN_PATHS.renew, this.o.node, {
        timeoutMs: 30_000,
        ca: current.ca,
        cert: current.cert,
        key: current.key,
      });
      if (!this.running) return;
      writeCredentials(this.o.dataDir, { ca: answer.ca, cert: answer.certificate, key: answer.keyPem });
      this.renewals!.inc({ outcome: 'ok' });
      this.log.info({ notAfter: answer.notAfter }, `certificate of node ${this.o.node} renewed`);
      this.o.rotated();
      this.schedule(loadCredentials(this.o.dataDir, this.o.node));
    } catch (err) {
      this.renewals!.inc({ outcome: 'failed' });
      this.log.warn(
        { code: 'KEDGE_EDGE_RENEWAL_FAILED', err: errorText(err), notAfter: new Date(current.notAfter).toISOString() },
        `certificate renewal failed; retrying (the current one is valid until ${new Date(current.notAfter).toISOString()})`,
      );
      this.schedule(current, true);
    }
  }
}
