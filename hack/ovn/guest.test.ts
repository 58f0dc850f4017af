import { describe, expect, it } from '@jest/globals';
import { addPortArgs, guestLinks, guestSetup, maxGuestName, parseGuestAddress } from './guest.ts';

describe('a guest', () => {
  it('names its veth ends after itself, within the 15 bytes Linux allows', () => {
    expect(guestLinks('web-1')).toEqual({ port: 'web-1-o', peer: 'web-1-g' });
    const longest = 'a'.repeat(maxGuestName);
    const links = guestLinks(longest);
    expect(links.port.length).toBe(15);
    expect(links.peer.length).toBe(15);
  });

  it.each(['', 'a'.repeat(maxGuestName + 1), 'Web', 'a_b', '-a', 'a-', 'a b', 'a/b'])(
    'refuses the name %j',
    (name) => {
      expect(() => guestLinks(name)).toThrow(/guest name .* is not usable/);
    },
  );

  it('reads an address with its prefix', () => {
    expect(parseGuestAddress('10.0.1.5/24')).toEqual({ ip: '10.0.1.5', prefix: 24 });
    expect(parseGuestAddress('0.0.0.0/0')).toEqual({ ip: '0.0.0.0', prefix: 0 });
  });

  it.each(['10.0.1.5', '10.0.1.5/33', '10.0.1/24', '10.0.1.256/24', '10.0.1.5/24/1', 'x/24'])(
    'refuses the address %j',
    (address) => {
      expect(() => parseGuestAddress(address)).toThrow(/not an IPv4 'address\/prefix'/);
    },
  );

  const base = { name: 'g', ifaceId: 'lsp1', mac: '0A:00:00:00:00:01' };

  it('becomes eth0 with its MAC, no TX checksum offload, an address and a default route', () => {
    expect(guestSetup({ ...base, address: '10.0.1.5/24', gateway: '10.0.1.1' }, 'g-g')).toEqual([
      ['ip', 'link', 'set', 'g-g', 'name', 'eth0'],
      ['ip', 'link', 'set', 'eth0', 'address', '0a:00:00:00:00:01'],
      ['ethtool', '-K', 'eth0', 'tx', 'off'],
      ['ip', 'link', 'set', 'lo', 'up'],
      ['ip', 'link', 'set', 'eth0', 'up'],
      ['ip', 'address', 'add', '10.0.1.5/24', 'dev', 'eth0'],
      ['ip', 'route', 'add', 'default', 'via', '10.0.1.1'],
    ]);
  });

  it('stays without an address for DHCP, and sets an MTU when given one', () => {
    const setup = guestSetup({ ...base, mtu: 1442 }, 'g-g');
    expect(setup).toContainEqual(['ip', 'link', 'set', 'eth0', 'mtu', '1442']);
    expect(setup.some((c) => c.includes('address') && c.includes('add'))).toBe(false);
    expect(setup.some((c) => c.includes('route'))).toBe(false);
  });

  it('refuses a bad MAC, a bad gateway, and a gateway without an address', () => {
    expect(() => guestSetup({ ...base, mac: '0a:00:00:00:01' }, 'g-g')).toThrow(/MAC/);
    expect(() => guestSetup({ ...base, address: '10.0.1.5/24', gateway: '10.0.1' }, 'g-g')).toThrow(
      /gateway/,
    );
    expect(() => guestSetup({ ...base, gateway: '10.0.1.1' }, 'g-g')).toThrow(/needs an address/);
  });

  it('is plugged into br-int bound to its logical port', () => {
    expect(addPortArgs('g-o', 'kcloud-eni-1')).toEqual([
      'add-port',
      'br-int',
      'g-o',
      '--',
      'set',
      'Interface',
      'g-o',
      'external_ids:iface-id=kcloud-eni-1',
    ]);
  });

  it('is a plain port of a provider bridge, bound to no logical port', () => {
    expect(addPortArgs('internet-o', 'internet', 'br-ex')).toEqual([
      'add-port',
      'br-ex',
      'internet-o',
    ]);
  });
});
