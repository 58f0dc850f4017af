import { describe, expect, it } from '@jest/globals';
import { chassisLayout, defaultChassisDir } from './chassis-layout.ts';
import { ovnLayout } from './layout.ts';

describe('the layout of an extra chassis', () => {
  const ovn = ovnLayout('/runs/ovn-1');
  const layout = chassisLayout(ovn, defaultChassisDir(ovn, 'hv2'));

  it('keeps its Open vSwitch, logs and control sockets in a run folder of its own', () => {
    expect(layout.runDir).toBe('/runs/ovn-1/chassis/hv2');
    expect(layout.vswitch.socket).toBe('/runs/ovn-1/chassis/hv2/ovs/db.sock');
    expect(layout.vswitch.db).toBe('/runs/ovn-1/chassis/hv2/db/conf.db');
    expect(layout.logDir).toBe('/runs/ovn-1/chassis/hv2/logs');
    expect(layout.ovnRunDir).toBe('/runs/ovn-1/chassis/hv2');
    expect(layout.stateFile).toBe('/runs/ovn-1/chassis/hv2/state.json');
  });

  it("talks to the OVN's northbound and southbound databases", () => {
    expect(layout.nb).toEqual(ovn.nb);
    expect(layout.sb).toEqual(ovn.sb);
  });

  it("refuses the OVN's own run folder", () => {
    expect(() => chassisLayout(ovn, '/runs/ovn-1/')).toThrow(/a run folder of its own/);
  });
});
