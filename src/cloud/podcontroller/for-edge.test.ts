import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../store/index.js';
import { podForEdge, podToken } from './for-edge.js';

const admitted: StoredObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: {
    nodeName: 'edge-1',
    containers: [
      {
        name: 'app',
        image: 'app:1',
        volumeMounts: [
          { name: 'dev', mountPath: '/dev/ttyUSB0' },
          { name: 'kube-api-access-x1y2z', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
        ],
      },
    ],
    volumes: [
      { name: 'dev', hostPath: { path: '/dev/ttyUSB0', type: 'CharDevice' } },
      { name: 'kube-api-access-x1y2z', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  },
  status: { phase: 'Pending' },
};

describe('podForEdge', () => {
  it('leaves out status and the service-account token volume with its mounts, keeps the rest', () => {
    const pod = podForEdge(admitted) as StoredObject;
    expect(pod).not.toHaveProperty('status');
    const spec = pod.spec as { volumes: Array<{ name: string }>; containers: Array<{ volumeMounts: unknown[] }> };
    expect(spec.volumes.map((v) => v.name)).toEqual(['dev']);
    expect(spec.containers[0]!.volumeMounts).toEqual([{ name: 'dev', mountPath: '/dev/ttyUSB0' }]);
  });

  it('keeps a Pod without such a volume as it is', () => {
    const plain = { ...admitted, spec: { nodeName: 'edge-1', containers: [{ name: 'app', image: 'app:1' }] } };
    expect(podForEdge(plain).spec).toBe(plain.spec);
  });
});

describe('podToken', () => {
  it('follows the generation where there is one, else the spec', () => {
    expect(podToken({ ...admitted, metadata: { ...admitted.metadata, generation: 3 } })).toBe('u1:3');
    const a = podToken(admitted);
    expect(podToken({ ...admitted, status: { phase: 'Running' } })).toBe(a);
    const image2 = { ...(admitted.spec as object), containers: [{ name: 'app', image: 'app:2' }] };
    expect(podToken({ ...admitted, spec: image2 })).not.toBe(a);
  });
});
