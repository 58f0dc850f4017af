import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../cluster/index.ts';
import { cephLayout, cephLayoutFromEnv, devCephLayout } from './layout.ts';

describe('the Ceph run folder layout', () => {
  it('puts every file under the run folder', () => {
    // Every field is a path.
    const paths = Object.values(cephLayout('/runs/ceph-1') as unknown as Record<string, string>);
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(p === '/runs/ceph-1' || p.startsWith('/runs/ceph-1/')).toBe(true);
  });

  it('is .local/ceph for development, or $KCLOUD_CEPH_DIR', () => {
    expect(devCephLayout().runDir).toBe(path.join(repoRoot, '.local', 'ceph'));
    expect(cephLayoutFromEnv({}).runDir).toBe(path.join(repoRoot, '.local', 'ceph'));
    expect(cephLayoutFromEnv({ KCLOUD_CEPH_DIR: '/tmp/c2' }).conf).toBe('/tmp/c2/ceph.conf');
  });

  it('refuses an empty folder name, which purge would take for the current folder', () => {
    expect(() => cephLayout(' ')).toThrow(/must be named/);
  });
});
