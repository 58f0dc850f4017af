import { describe, expect, it } from '@jest/globals';
import { fetchedVersion, ovnSources, wantedLine } from './fetch.ts';

describe('what the OVN fetch unpacks', () => {
  it('unpacks 25.03 unless --ovn names 26.03', () => {
    expect(fetchedVersion([])).toBe('25.03');
    expect(fetchedVersion(['--ovn=25.03'])).toBe('25.03');
    expect(fetchedVersion(['--ovn=26.03'])).toBe('26.03');
    expect(() => fetchedVersion(['--ovn=24.09'])).toThrow('25.03 (Debian trixie) or 26.03');
    expect(() => fetchedVersion(['--verbose'])).toThrow();
  });

  it('takes 25.03 from trixie and 26.03 from sid, each with its own libc', () => {
    expect(ovnSources['25.03'].suite).toBe('trixie');
    expect(ovnSources['26.03'].suite).toBe('sid');
    for (const { packages } of Object.values(ovnSources)) {
      expect(packages).toEqual(expect.arrayContaining(['ovn-central', 'ovn-host', 'libc6']));
    }
  });

  it("keeps 25.03's manifest line as it was, so a root already unpacked is kept", () => {
    expect(wantedLine('http://deb.debian.org/debian', ovnSources['25.03'].packages)).toBe(
      '# mirror=http://deb.debian.org/debian packages=ovn-central ovn-common ovn-host openvswitch-common openvswitch-switch libc6 libgcc-s1 libssl3t64 libcap-ng0 libcap2 libunbound8 libevent-2.1-7t64 libbpf1 libelf1t64 libxdp1 libnuma1 libudev1 zlib1g libzstd1',
    );
  });
});
