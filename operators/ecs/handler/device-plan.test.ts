import { describe, expect, it } from '@jest/globals';
import { devicePlan, isEmpty, type WantedDisk } from './device-plan.ts';
import { diskId, nicId } from './vm-spec.ts';

const GiB = 1024 ** 3;
const disk = (volume: string, sizeBytes = GiB): WantedDisk => ({
  volume,
  target: { file: { path: `/pool/${volume}.qcow2`, format: 'qcow2' } },
  readOnly: false,
  sizeBytes,
});
const nic = (name: string) => ({ name, portName: `p-${name}`, mac: '52:54:00:00:00:01' });

describe('devicePlan', () => {
  it('changes nothing when the VM has what the instance asks', () => {
    const p = devicePlan({
      boot: 'boot',
      wantedDisks: [disk('boot'), disk('data')],
      currentDisks: [
        { id: diskId('boot'), sizeBytes: GiB, readOnly: false },
        { id: diskId('data'), sizeBytes: GiB, readOnly: false },
        { id: 'seed', sizeBytes: 1024 ** 2, readOnly: true },
      ],
      wantedNics: [nic('eth0')],
      currentNics: [nicId('eth0')],
      pendingNics: [],
    });
    expect(isEmpty(p)).toBe(true);
  });

  it('plugs what is new, unplugs what left, grows what was raised, and never unplugs the boot disk or the seed', () => {
    const p = devicePlan({
      boot: 'boot',
      // The boot disk's attachment is not ready this moment: it stays plugged all the same.
      wantedDisks: [disk('data', 2 * GiB), disk('new')],
      currentDisks: [
        { id: diskId('boot'), sizeBytes: GiB, readOnly: false },
        { id: diskId('data'), sizeBytes: GiB, readOnly: false },
        { id: diskId('old'), sizeBytes: GiB, readOnly: false },
        { id: 'seed', sizeBytes: 1024 ** 2, readOnly: true },
      ],
      wantedNics: [nic('eth0'), nic('eth2')],
      currentNics: [nicId('eth0'), nicId('eth1'), nicId('eth3')],
      // eth3's NIC is not ready this moment: neither plugged nor unplugged.
      pendingNics: ['eth3'],
    });
    expect(p.attachDisks.map((d) => d.volume)).toEqual(['new']);
    expect(p.detachDisks).toEqual([diskId('old')]);
    expect(p.grow).toEqual([{ id: diskId('data'), volume: 'data', sizeBytes: 2 * GiB }]);
    expect(p.attachNics.map((n) => n.name)).toEqual(['eth2']);
    expect(p.detachNics).toEqual([nicId('eth1')]);
  });

  it('never shrinks a disk', () => {
    const p = devicePlan({
      boot: 'boot',
      wantedDisks: [disk('boot', GiB)],
      currentDisks: [{ id: diskId('boot'), sizeBytes: 2 * GiB, readOnly: false }],
      wantedNics: [],
      currentNics: [],
      pendingNics: [],
    });
    expect(isEmpty(p)).toBe(true);
  });
});
