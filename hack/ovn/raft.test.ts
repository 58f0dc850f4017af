import { describe, expect, it } from '@jest/globals';
import { ovnLayout } from './layout.ts';
import {
  parseClusterStatus,
  raftClusterPlan,
  raftCreateArgs,
  raftServerArgs,
  remotesOf,
  type RaftMember,
} from './raft.ts';

const layout = ovnLayout('/tmp/kcloud-ovn-x');

describe('a clustered database on loopback', () => {
  const cluster = raftClusterPlan(layout, 'nb', [6641, 6643, 6645, 6651, 6653, 6655]);

  it('gives each member its own files, client port and Raft port', () => {
    expect(cluster.members.map((m) => [m.name, m.db, m.remote, m.raftAddress])).toEqual([
      [
        'ovsdb-nb-1',
        '/tmp/kcloud-ovn-x/db/ovnnb_db-1.db',
        'tcp:127.0.0.1:6641',
        'tcp:127.0.0.1:6651',
      ],
      [
        'ovsdb-nb-2',
        '/tmp/kcloud-ovn-x/db/ovnnb_db-2.db',
        'tcp:127.0.0.1:6643',
        'tcp:127.0.0.1:6653',
      ],
      [
        'ovsdb-nb-3',
        '/tmp/kcloud-ovn-x/db/ovnnb_db-3.db',
        'tcp:127.0.0.1:6645',
        'tcp:127.0.0.1:6655',
      ],
    ]);
    expect(remotesOf(cluster)).toBe('tcp:127.0.0.1:6641,tcp:127.0.0.1:6643,tcp:127.0.0.1:6645');
    expect(() => raftClusterPlan(layout, 'sb', [1, 2, 3])).toThrow('a client and a Raft port');
  });

  it('creates the cluster with member 1; the others join through it', () => {
    const [one, two] = cluster.members as [RaftMember, RaftMember];
    expect(raftCreateArgs(cluster, one, '/s/ovn-nb.ovsschema')).toEqual([
      'create-cluster',
      '/tmp/kcloud-ovn-x/db/ovnnb_db-1.db',
      '/s/ovn-nb.ovsschema',
      'tcp:127.0.0.1:6651',
    ]);
    expect(raftCreateArgs(cluster, two, '/s/ovn-nb.ovsschema')).toEqual([
      'join-cluster',
      '/tmp/kcloud-ovn-x/db/ovnnb_db-2.db',
      'OVN_Northbound',
      'tcp:127.0.0.1:6653',
      'tcp:127.0.0.1:6651',
    ]);
    expect(raftServerArgs(two)).toEqual([
      '/tmp/kcloud-ovn-x/db/ovnnb_db-2.db',
      '--remote=punix:/tmp/kcloud-ovn-x/ovnnb_db-2.sock',
      '--remote=ptcp:6643:127.0.0.1',
      '--pidfile=/tmp/kcloud-ovn-x/ovnnb_db-2.pid',
      '--unixctl=/tmp/kcloud-ovn-x/ovnnb_db-2.ctl',
      '--log-file=/tmp/kcloud-ovn-x/logs/ovsdb-nb-2.log',
      '-vconsole:off',
    ]);
  });

  it('reads the role, status and leader from cluster/status', () => {
    const text = [
      'c3b1',
      'Name: OVN_Northbound',
      'Cluster ID: 5f2b (5f2b7c1e-...)',
      'Server ID: c3b1 (c3b1a1b2-...)',
      'Address: tcp:127.0.0.1:6653',
      'Status: cluster member',
      'Role: follower',
      'Term: 3',
      'Leader: 9a1e',
    ].join('\n');
    expect(parseClusterStatus(text)).toEqual({
      role: 'follower',
      status: 'cluster member',
      leader: '9a1e',
    });
  });
});
