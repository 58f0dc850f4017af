import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../../controllers/kube/index.ts';
import { requestedChassisAnnotation } from '../../../vpc/api/index.ts';
import { fenceWrites, networkFenced } from './nic-fence.ts';

const nics = (fences: Record<string, string | undefined>) => (name: string) =>
  name in fences
    ? ({
        metadata: {
          name,
          annotations:
            fences[name] !== undefined ? { [requestedChassisAnnotation]: fences[name] } : {},
        },
      } as KubeObject)
    : undefined;

describe('the fence on an instance’s interfaces', () => {
  it('names its host’s chassis on each interface it runs with', () => {
    const writes = fenceWrites(
      ['vm-eth0', 'vm-eth1'],
      [],
      'hv-b',
      nics({ 'vm-eth0': undefined, 'vm-eth1': 'hv-b' }),
    );
    expect(writes).toEqual([{ networkInterface: 'vm-eth0', chassis: 'hv-b' }]);
  });

  it('moves to the new host’s chassis when the instance moves', () => {
    expect(fenceWrites(['vm-eth0'], ['vm-eth0'], 'hv-a', nics({ 'vm-eth0': 'hv-b' }))).toEqual([
      { networkInterface: 'vm-eth0', chassis: 'hv-a' },
    ]);
  });

  it('writes nothing when every interface is fenced to the chassis already', () => {
    expect(fenceWrites(['vm-eth0'], ['vm-eth0'], 'hv-a', nics({ 'vm-eth0': 'hv-a' }))).toEqual([]);
  });

  it('fences nothing on a host with no chassis: a name set before (or by a user) goes', () => {
    expect(
      fenceWrites(
        ['vm-eth0', 'vm-eth1'],
        [],
        undefined,
        nics({ 'vm-eth0': 'hv-b', 'vm-eth1': undefined }),
      ),
    ).toEqual([{ networkInterface: 'vm-eth0', chassis: null }]);
  });

  it('lifts the fence of an interface the instance no longer uses', () => {
    expect(
      fenceWrites(
        ['vm-eth0'],
        ['vm-eth0', 'spare', 'never'],
        'hv-a',
        nics({ 'vm-eth0': 'hv-a', spare: 'hv-a', never: undefined }),
      ),
    ).toEqual([{ networkInterface: 'spare', chassis: null }]);
  });

  it('waits for an interface that does not exist yet', () => {
    expect(fenceWrites(['vm-eth0'], [], 'hv-a', nics({}))).toEqual([]);
  });

  it('says whether the ports are fenced, and why not', () => {
    expect(networkFenced('h1', 'hv-a', 1)).toEqual([
      expect.objectContaining({
        type: 'NetworkFenced',
        status: 'True',
        reason: 'RequestedChassis',
      }),
    ]);
    expect(networkFenced('h1', undefined, 2)).toEqual([
      expect.objectContaining({
        type: 'NetworkFenced',
        status: 'False',
        reason: 'HostChassisUnknown',
      }),
    ]);
    expect(networkFenced('h1', undefined, 0)).toEqual([]);
  });
});
