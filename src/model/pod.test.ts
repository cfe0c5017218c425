import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../core/yaml/index.js';
import { parseBytes, parseCpus } from './pod.js';
import { validateSources } from './validate.js';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: grafana
spec:
  nodeName: edge-1
  restartPolicy: OnFailure
  containers:
    - name: app
      image: localhost/kedge:0.1.0
      command: [node, -e, "console.log(1)"]
      env: [{ name: A, value: "1" }]
      ports: [{ containerPort: 3000, hostPort: 3001 }]
      volumeMounts:
        - { name: data, mountPath: /data }
        - { name: tty, mountPath: /dev/ttyUSB0 }
      resources: { limits: { memory: 128Mi, cpu: 500m } }
  volumes:
    - { name: data, hostPath: { path: /var/lib/app, type: DirectoryOrCreate } }
    - { name: tty, hostPath: { path: /dev/ttyUSB0, type: CharDevice } }
`;

const check = (text: string) => {
  const r = validateSources([{ file: 'pod.yaml', content: text }]);
  return { pods: r.pods, messages: r.diagnostics.map(formatDiagnostic) };
};

describe('Pod documents', () => {
  it('accepts the part of core/v1 Edged runs', () => {
    const r = check(POD);
    expect(r.messages).toEqual([]);
    expect(r.pods).toHaveLength(1);
    expect(r.pods[0]!.spec.containers[0]!.resources?.limits?.memory).toBe('128Mi');
  });

  it('warns about fields kedge ignores, without refusing the Pod', () => {
    const r = check(POD.replace('  restartPolicy: OnFailure', '  restartPolicy: OnFailure\n  affinity: {}'));
    expect(r.pods).toHaveLength(1);
    expect(r.messages).toEqual([
      expect.stringMatching(/^pod\.yaml:8:3: warning: spec\.affinity: unknown field affinity/),
    ]);
  });

  it('refuses a mount of a volume the Pod does not have, a bad quantity, a duplicate container, apiVersion not v1', () => {
    expect(check(POD.replace('name: data, mountPath', 'name: dat, mountPath')).messages).toEqual([
      expect.stringContaining('error: volume dat is not in spec.volumes (data, tty)'),
    ]);
    expect(check(POD.replace('memory: 128Mi', 'memory: 1Ki')).messages).toEqual([
      expect.stringContaining('memory limit 1Ki: at least 6Mi'),
    ]);
    expect(check(POD.replace('memory: 128Mi', 'memory: lots')).messages[0]).toContain('error:');
    const twice = POD.replace('  volumes:', '    - { name: app, image: x }\n  volumes:');
    expect(check(twice).messages).toEqual([expect.stringContaining('container name app is used twice')]);
    expect(check(POD.replace('apiVersion: v1', 'apiVersion: apps/v1')).messages).toEqual([
      expect.stringContaining('apiVersion "apps/v1" of a Pod must be v1'),
    ]);
    expect(check(POD.replace('apiVersion: v1', 'apiVersion: apps/v1')).pods).toEqual([]);
  });

  it('reads Kubernetes quantities', () => {
    expect(parseBytes('128Mi')).toBe(134_217_728);
    expect(parseBytes('1G')).toBe(1e9);
    expect(parseBytes('1e6')).toBe(1e6);
    expect(parseBytes(4096)).toBe(4096);
    expect(parseBytes('12 MB')).toBeUndefined();
    expect(parseCpus('500m')).toBe(0.5);
    expect(parseCpus('2')).toBe(2);
    expect(parseCpus('0.25')).toBe(0.25);
    expect(parseCpus('1Gi')).toBeUndefined();
  });
});
