import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ovnVersion, rootInstall, selectedInstall, sidRoot, trixieRoot } from './install.ts';

describe('which OVN the local instances run', () => {
  it("runs trixie's OVN 25.03 unless KCLOUD_OVN asks for sid's 26.03 or the machine's", () => {
    expect(ovnVersion(undefined)).toBe('25.03');
    expect(ovnVersion('')).toBe('25.03');
    expect(ovnVersion('25.03')).toBe('25.03');
    expect(ovnVersion('26.03')).toBe('26.03');
    expect(ovnVersion('host')).toBe('host');
    expect(ovnVersion('23.03')).toBe('host');
    expect(() => ovnVersion('24.09')).toThrow('leave it unset');
    expect(() => ovnVersion('26.09')).toThrow('or 26.03 for Debian sid');
  });

  it("takes 25.03's schemas from the unpacked root, the machine's from its own folders", () => {
    const trixie = selectedInstall({ KCLOUD_OVN: '25.03' });
    expect(trixie.version).toBe('25.03');
    expect(trixie.schemas.nb).toBe(path.join(trixieRoot, 'usr/share/ovn/ovn-nb.ovsschema'));
    expect(trixie.schemas.vswitch).toBe(
      path.join(trixieRoot, 'usr/share/openvswitch/vswitch.ovsschema'),
    );
    expect(selectedInstall({}).version).toBe('25.03');
    const host = selectedInstall({ KCLOUD_OVN: 'host' });
    expect(host.version).toBe('host');
    expect(host.schemas.sb).toBe('/usr/share/ovn/ovn-sb.ovsschema');
  });

  it("runs 26.03 from sid's root, beside trixie's", () => {
    const sid = selectedInstall({ KCLOUD_OVN: '26.03' });
    expect(sid.version).toBe('26.03');
    expect(sidRoot).toBe(path.join(path.dirname(path.dirname(trixieRoot)), 'ovn-26.03', 'root'));
    expect(sid.schemas.sb).toBe(path.join(sidRoot, 'usr/share/ovn/ovn-sb.ovsschema'));
  });

  it('says which command unpacks a root that is not there', () => {
    const missing = path.join(trixieRoot, 'nothing');
    expect(() => rootInstall('26.03', missing).tool('ovn-northd')).toThrow(
      `ovn-northd is not in ${missing}: run \`node hack/ovn/trixie/fetch.ts --ovn=26.03\` to unpack OVN 26.03 there`,
    );
    expect(() => rootInstall('25.03', missing).tool('ovsdb-server')).toThrow(
      'run `make setup` to unpack OVN 25.03 there',
    );
  });
});
