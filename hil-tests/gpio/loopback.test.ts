/**
 * GPIO loopback: an output wired to an input. With KEDGE_HIL_GPIO_OUT and KEDGE_HIL_GPIO_IN set
 * (two pins joined by a jumper wire on a Raspberry Pi) it runs on the sysfs backend and the real
 * pins; otherwise on the simulated backend with a simulated jumper (this machine has no GPIO).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtocolDriver } from '../../mappers/sdk/driver.js';
import { createDriver, createSysfsBackend, SimGpioBackend, type GpioBackend } from '../../mappers/gpio/index.js';
import { recorder, waitUntil } from '../serial/harness.js';

function target(): { out: number; input: number; backend: () => Promise<GpioBackend>; name: string } {
  const out = process.env['KEDGE_HIL_GPIO_OUT'];
  const input = process.env['KEDGE_HIL_GPIO_IN'];
  if (out === undefined && input === undefined) {
    return {
      out: 26,
      input: 17,
      name: 'sim backend, simulated jumper 26 -> 17',
      backend: async () => {
        const sim = new SimGpioBackend();
        sim.jumper(26, 17);
        return sim;
      },
    };
  }
  if (out === undefined || input === undefined)
    throw new Error('set both KEDGE_HIL_GPIO_OUT and KEDGE_HIL_GPIO_IN (two pins joined by a jumper wire)');
  return {
    out: Number(out),
    input: Number(input),
    name: `sysfs backend, GPIO ${out} -> GPIO ${input}`,
    backend: async () => createSysfsBackend(),
  };
}

const t = target();
let driver: ProtocolDriver | undefined;
afterEach(async () => {
  await driver?.stop();
  driver = undefined;
});

describe(`GPIO loopback (${t.name})`, () => {
  it('a written output is read back and its edges arrive on the input, debounced', async () => {
    const backend = await t.backend();
    if (!backend.accessible) throw new Error('KEDGE_HIL_GPIO_* is set but GPIO is not accessible on this machine');
    const ctx = recorder();
    driver = createDriver(ctx, { backend });
    await driver.start();
    const prop = (name: string, visitor: Record<string, unknown>) => ({
      name,
      type: 'BOOLEAN' as const,
      accessMode: 'ReadWrite' as const,
      visitor,
      collectCycleMs: 60_000,
      reportCycleMs: 60_000,
      reportToCloud: true,
    });
    const base = { namespace: 'default', model: 'loop', protocol: 'gpio', protocolConfig: {} };
    await driver.addDevice({
      ...base,
      id: 'default/out',
      name: 'out',
      properties: [prop('drive', { pin: t.out, direction: 'out' })],
    });
    await driver.addDevice({
      ...base,
      id: 'default/in',
      name: 'in',
      properties: [
        { ...prop('sense', { pin: t.input, direction: 'in', edge: 'both', debounceMs: 5 }), accessMode: 'ReadOnly' },
      ],
    });
    expect(ctx.states.map((s) => s.state)).toEqual(['online', 'online']);
    const sensed = () => ctx.calls.filter((c) => c.device === 'default/in').map((c) => c.readings[0]!.value);
    for (const v of [true, false, true, false]) {
      const back = await driver.write('default/out', 'drive', v);
      expect(back).toMatchObject({ value: v, quality: 'good' });
      await waitUntil(`input reports ${v}`, () => sensed().at(-1) === v, 5000);
    }
    expect(sensed()).toEqual([true, false, true, false]);
  });
});
