import { describe, expect, it } from '@jest/globals';
import { allReady, formatStatus, type StatusGroup } from './status.ts';

const groups: StatusGroup[] = [
  {
    title: 'control plane (.local/cluster)',
    rows: [
      { name: 'etcd', pid: 101, address: 'http://127.0.0.1:2379', state: 'ready' },
      { name: 'kube-apiserver', pid: 102, address: 'https://127.0.0.1:6443', state: 'ready' },
    ],
  },
  {
    title: 'OVN (.local/ovn; data plane on)',
    rows: [
      { name: 'ovsdb-nb', pid: 20001, address: 'unix:/nb.sock tcp:127.0.0.1:6641', state: 'down' },
      { name: 'ovn-controller', address: 'chassis hv1', state: 'not started' },
    ],
  },
  {
    title: 'kcloud (.local/demo)',
    rows: [
      {
        name: 'kcloud-manager',
        pid: 3,
        address: 'http://127.0.0.1:8081/readyz',
        state: 'ready',
        note: 'leader',
      },
    ],
  },
];

describe('make status', () => {
  it('shows every component under its group with PID, state and address, in columns', () => {
    expect(formatStatus(groups)).toEqual([
      'control plane (.local/cluster)',
      '  etcd            pid 101    ready        http://127.0.0.1:2379',
      '  kube-apiserver  pid 102    ready        https://127.0.0.1:6443',
      'OVN (.local/ovn; data plane on)',
      '  ovsdb-nb        pid 20001  down         unix:/nb.sock tcp:127.0.0.1:6641',
      '  ovn-controller  pid -      not started  chassis hv1',
      'kcloud (.local/demo)',
      '  kcloud-manager  pid 3      ready        http://127.0.0.1:8081/readyz  (leader)',
    ]);
  });

  it('says when a group has nothing recorded', () => {
    expect(formatStatus([{ title: 'kcloud (.local/demo)', rows: [] }])).toEqual([
      'kcloud (.local/demo)',
      '  (nothing recorded)',
    ]);
  });

  it('is all ready only when every component of every group is', () => {
    expect(allReady(groups)).toBe(false);
    expect(allReady([groups[0] as StatusGroup, groups[2] as StatusGroup])).toBe(true);
    expect(allReady([{ title: 'kcloud', rows: [] }])).toBe(false);
  });
});
