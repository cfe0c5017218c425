/**
 * Keeps the embedded broker's deliveries in the order of its publishes.
 *
 * Why: aedes numbers a publish (`brokerCounter`) when it is called, and every subscriber drops a
 * message numbered below one it has already been given (aedes' dedupe for overlapping
 * subscriptions; moscajs/aedes#955). Before delivering, a retained publish awaits the retained
 * store and a QoS 1 publish the offline-queue lookup, so a later publish with fewer of those steps
 * overtakes it and the earlier one is silently dropped for every subscriber: a device's retained
 * twin after a desired-value write was lost this way while its telemetry flowed.
 *
 * So publishes start in call order, and one starts only once every earlier publish with more
 * steps before delivery has finished. Publishes with the same steps overtake nothing and run
 * concurrently (telemetry, QoS 1 and not retained, waits only for a retained one in flight).
 */
export class PublishOrder {
  /** Unfinished publishes by their steps before delivery (index 0, 1, 2). */
  private readonly unfinished: Array<Set<Promise<unknown>>> = [new Set(), new Set(), new Set()];
  /** Resolves when the last publish called has started. */
  private lastStart: Promise<unknown> = Promise.resolve();

  run(qos: 0 | 1, retain: boolean, publish: () => Promise<void>): Promise<void> {
    const steps = (retain ? 1 : 0) + (qos > 0 ? 1 : 0);
    const slower = this.unfinished.slice(steps + 1).flatMap((set) => [...set]);
    const previous = this.lastStart;
    const start =
      slower.length === 0 ? previous : previous.then(() => Promise.all(slower.map((p) => p.catch(() => undefined))));
    this.lastStart = start;
    const done = start.then(publish);
    const settled = done.catch(() => undefined);
    const set = this.unfinished[steps]!;
    set.add(settled);
    void settled.then(() => set.delete(settled));
    return done;
  }
}
