import { DataType, StatusCodes, Variant, type AddressSpace, type UAVariable } from 'node-opcua';

export interface GeneratedOptions {
  /** Number of Double variables, node ids ns=1;s=gen.<i> (i from 0). */
  count: number;
  /** Every variable gets a new value this often (ms). */
  intervalMs: number;
}

export interface GeneratedHandle {
  /** Variable changes made so far (count x ticks). */
  changes(): number;
  stop(): void;
}

/** Load-test variables under Objects/Generated, all changing on every tick. */
export function addGeneratedVariables(addressSpace: AddressSpace, options: GeneratedOptions): GeneratedHandle {
  const ns = addressSpace.getOwnNamespace();
  const folder = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Generated' });
  const variables: UAVariable[] = [];
  for (let i = 0; i < options.count; i++) {
    variables.push(
      ns.addVariable({
        organizedBy: folder,
        browseName: `gen.${i}`,
        nodeId: `ns=${ns.index};s=gen.${i}`,
        dataType: 'Double',
        minimumSamplingInterval: 0,
      }),
    );
  }
  let tick = 0;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  // Ticks are scheduled against the start time, not with setInterval, which drifts by the time
  // each tick takes: a 100 ms load must really be 10 ticks per second.
  const step = () => {
    tick += 1;
    const now = new Date();
    // Each variable's value differs on every tick, so each tick is one change per variable.
    for (let i = 0; i < variables.length; i++) {
      variables[i]!.setValueFromSource(
        new Variant({ dataType: DataType.Double, value: tick + i / 1e4 }),
        StatusCodes.Good,
        now,
      );
    }
    timer = setTimeout(step, Math.max(0, started + (tick + 1) * options.intervalMs - Date.now()));
  };
  timer = setTimeout(step, options.intervalMs);
  return {
    changes: () => tick * variables.length,
    stop: () => clearTimeout(timer),
  };
}

/** The node ids addGeneratedVariables creates (namespace 1 is the server's own). */
export function generatedNodeIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `ns=1;s=gen.${i}`);
}
