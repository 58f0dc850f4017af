import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { VolumeAttachmentObject } from '../api/index.ts';
import { attachmentTarget } from './attachment-target.ts';
import type { PoolBackends } from './pool-backends.ts';
import type { SourceReader } from './sources.ts';

const signal = new AbortController().signal;

const volume = {
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: { namespace: 't1', name: 'data', uid: 'uid-data' },
  status: { storagePool: 'shared' },
} as KubeObject;

const attachment = {
  metadata: { namespace: 't1', name: 'web-data', uid: 'uid-att' },
  spec: { volumeRef: { name: 'data' }, instanceRef: { name: 'web' }, host: 'h1' },
} as VolumeAttachmentObject;

function setup(cached: KubeObject | undefined) {
  const reads: string[] = [];
  const sources: SourceReader = {
    image: () => Promise.resolve(undefined),
    snapshot: () => Promise.resolve(undefined),
    volume: (ns, name) => {
      reads.push(`${ns}/${name}`);
      return Promise.resolve(volume);
    },
  };
  const pools = {
    backendFor: () =>
      Promise.resolve({
        inspectVolume: () => Promise.resolve(true),
        fenceClients: () => Promise.resolve([]),
        attachTarget: () => ({ path: '/pools/shared/uid-data.qcow2' }),
      }),
  } as unknown as PoolBackends;
  const client = attachmentTarget({ pools, sources, cachedVolume: () => cached });
  return { reads, client };
}

describe('attachmentTarget', () => {
  it('takes the Volume from the host’s cache when it is there: no read', async () => {
    const s = setup(volume);
    const o = await s.client.observe(attachment, signal);
    expect(o).toMatchObject({
      exists: true,
      upToDate: true,
      observed: { path: expect.any(String) },
    });
    expect(s.reads).toEqual([]);
  });

  it('reads the Volume live when the cache has it not (bound to another host)', async () => {
    const s = setup(undefined);
    const o = await s.client.observe(attachment, signal);
    expect(o).toMatchObject({ exists: true, upToDate: true });
    expect(s.reads).toEqual(['t1/data']);
  });
});
