import type { LeaderElection, LeaderWork } from './types.js';
import { LeaderWorkSet } from './work-set.js';

/** One cloud process with its own store: it always leads, from start() to stop(). */
export class SoleLeader implements LeaderElection {
  private readonly works: LeaderWorkSet;
  private started = false;

  constructor(
    readonly identity = 'sole',
    onError: (err: unknown) => void = () => {},
  ) {
    this.works = new LeaderWorkSet(onError);
  }

  get leading(): boolean {
    return this.started;
  }

  get leader(): string | undefined {
    return this.started ? this.identity : undefined;
  }

  whileLeader(work: LeaderWork): () => void {
    return this.works.add(work);
  }

  async start(): Promise<void> {
    this.started = true;
    this.works.begin();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.works.end();
  }
}
