import { describe, expect, it } from 'vitest';
import type { DeviceInstance } from '../../src/model/index.js';
import { nodeBindingsOf, sessionKey, sessionLabel, settingsOf } from './settings.js';

function device(
  config: Record<string, unknown>,
  visitor: Record<string, unknown> = { nodeID: 'ns=1;s=T' },
): DeviceInstance {
  return {
    id: 'default/oven',
    namespace: 'default',
    name: 'oven',
    model: 'oven-model',
    protocol: 'opcua',
    protocolConfig: config,
    properties: [
      {
        name: 'temp',
        type: 'DOUBLE',
        accessMode: 'ReadOnly',
        visitor,
        collectCycleMs: 1000,
        reportCycleMs: 1000,
        reportToCloud: true,
      },
    ],
  };
}

describe('settingsOf', () => {
  it('applies defaults: no security, subscribe, 5 s timeout', () => {
    expect(settingsOf(device({ url: 'opc.tcp://127.0.0.1:4840' }))).toEqual({
      url: 'opc.tcp://127.0.0.1:4840',
      securityPolicy: 'None',
      securityMode: 'None',
      timeoutMs: 5000,
      subscribe: true,
    });
  });

  it('rejects a missing URL and a mode without policy, naming the device', () => {
    expect(() => settingsOf(device({}))).toThrow(/device default\/oven: protocol.configData.url/);
    expect(() => settingsOf(device({ url: 'opc.tcp://h:1', securityMode: 'Sign' }))).toThrow(
      /securityMode Sign and securityPolicy None/,
    );
  });
});

describe('sessionKey', () => {
  it('is shared by devices with the same server and identity, not across users or security', () => {
    const a = settingsOf(device({ url: 'opc.tcp://h:1', subscribe: false }));
    const b = settingsOf(device({ url: 'opc.tcp://h:1', timeout: 200 }));
    const c = settingsOf(device({ url: 'opc.tcp://h:1', userName: 'op', password: 'x' }));
    const d = settingsOf(device({ url: 'opc.tcp://h:1', securityMode: 'Sign', securityPolicy: 'Basic256Sha256' }));
    expect(sessionKey(a)).toBe(sessionKey(b));
    expect(sessionKey(a)).not.toBe(sessionKey(c));
    expect(sessionKey(a)).not.toBe(sessionKey(d));
    expect(sessionKey(c)).not.toContain('x');
    expect(sessionLabel(c)).toBe('opc.tcp://h:1 (no security, user op)');
    expect(sessionLabel(d)).toBe('opc.tcp://h:1 (Sign/Basic256Sha256)');
    // A device that trusts only known certificates never rides on a session opened trusting any.
    const strict = settingsOf(device({ url: 'opc.tcp://h:1', acceptUnknownServerCertificates: false }));
    expect(strict.acceptUnknownServerCertificates).toBe(false);
    expect(sessionKey(strict)).not.toBe(sessionKey(a));
    expect(sessionKey(settingsOf(device({ url: 'opc.tcp://h:1', acceptUnknownServerCertificates: true })))).not.toBe(
      sessionKey(strict),
    );
  });
});

describe('nodeBindingsOf', () => {
  it('takes nodeID, else browseName, and names a property with neither', () => {
    expect(nodeBindingsOf(device({ url: 'opc.tcp://h:1' }))).toEqual([{ property: 'temp', nodeId: 'ns=1;s=T' }]);
    expect(nodeBindingsOf(device({ url: 'opc.tcp://h:1' }, { nodeID: 'ns=1;s=T', browseName: 'X' }))).toEqual([
      { property: 'temp', nodeId: 'ns=1;s=T' },
    ]);
    expect(nodeBindingsOf(device({ url: 'opc.tcp://h:1' }, { browseName: 'Oven/T' }))).toEqual([
      { property: 'temp', browsePath: 'Oven/T' },
    ]);
    expect(() => nodeBindingsOf(device({ url: 'opc.tcp://h:1' }, {}))).toThrow(
      /device default\/oven property temp: visitors.configData needs nodeID .* or browseName/,
    );
  });
});
