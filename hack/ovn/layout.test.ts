import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../cluster/index.ts';
import { controllerCtl, devOvnLayout, ovnLayout } from './layout.ts';

function allPaths(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(allPaths);
  return [];
}

describe('the OVN run folder layout', () => {
  const layout = ovnLayout('/runs/ovn-1');

  it('puts every file under the run folder', () => {
    const paths = allPaths(layout);
    expect(paths.length).toBeGreaterThan(20);
    for (const p of paths) expect(p === '/runs/ovn-1' || p.startsWith('/runs/ovn-1/')).toBe(true);
  });

  it('serves the OVN databases on sockets directly in the run folder', () => {
    expect(layout.nb.socket).toBe('/runs/ovn-1/ovnnb_db.sock');
    expect(layout.sb.socket).toBe('/runs/ovn-1/ovnsb_db.sock');
    expect(layout.nb.db).toBe('/runs/ovn-1/db/ovnnb_db.db');
    expect(layout.sb.db).toBe('/runs/ovn-1/db/ovnsb_db.db');
  });

  it("keeps Open vSwitch's files where its tools look by default under OVS_RUNDIR", () => {
    expect(layout.ovsRunDir).toBe('/runs/ovn-1/ovs');
    expect(layout.vswitch.socket).toBe('/runs/ovn-1/ovs/db.sock');
    expect(layout.vswitch.db).toBe('/runs/ovn-1/db/conf.db');
    expect(layout.ovnRunDir).toBe('/runs/ovn-1');
  });

  it("names ovn-controller's control socket after its PID", () => {
    expect(controllerCtl(layout, 4242)).toBe('/runs/ovn-1/ovn-controller.4242.ctl');
  });

  it('resolves a relative folder and refuses an empty one', () => {
    expect(ovnLayout('rel/ovn').runDir).toBe(path.resolve('rel/ovn'));
    expect(() => ovnLayout('')).toThrow('must be named');
    expect(() => ovnLayout('  ')).toThrow('must be named');
  });

  it('runs the development instance in .local/ovn', () => {
    expect(devOvnLayout().runDir).toBe(path.join(repoRoot, '.local', 'ovn'));
  });
});
