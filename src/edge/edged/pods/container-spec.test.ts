import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../model/index.js';
import { containerBody } from './container-spec.js';

describe('a Pod container gets the edge broker account in its environment', () => {
  const given = [
    { name: 'KEDGE_MQTT_URL', value: 'mqtt://kedge-mapper@127.0.0.1:1884' },
    { name: 'KEDGE_MQTT_PASSWORD', value: 'p'.repeat(48) },
  ];
  const pod = (env?: Array<{ name: string; value: string }>) =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'mapper', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'm', image: 'x', ...(env ? { env } : {}) }] },
    }) as unknown as Pod;

  it('adds the variables, and a variable the container sets itself wins', () => {
    const plain = pod();
    expect(containerBody(plain, plain.spec.containers[0]!, given).env).toEqual(given);
    const own = pod([{ name: 'KEDGE_MQTT_URL', value: 'mqtt://elsewhere:1883' }]);
    expect(containerBody(own, own.spec.containers[0]!, given).env).toEqual([
      given[1],
      { name: 'KEDGE_MQTT_URL', value: 'mqtt://elsewhere:1883' },
    ]);
  });
});
