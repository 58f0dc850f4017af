import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ovnVersion, selectedInstall, trixieRoot } from './install.ts';

describe('which OVN the local instances run', () => {
  it("runs trixie's OVN 25.03 unless KCLOUD_OVN=host asks for the machine's", () => {
    expect(ovnVersion(undefined)).toBe('25.03');
    expect(ovnVersion('')).toBe('25.03');
    expect(ovnVersion('25.03')).toBe('25.03');
    expect(ovnVersion('host')).toBe('host');
    expect(ovnVersion('23.03')).toBe('host');
    expect(() => ovnVersion('24.09')).toThrow('leave it unset');
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
});
