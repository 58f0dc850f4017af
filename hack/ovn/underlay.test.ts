import { describe, expect, it } from '@jest/globals';
import {
  chooseAddress,
  hubAddress,
  isMemberAddress,
  underlayBridgeArgs,
  underlayLinks,
  type UnderlayMember,
} from './underlay.ts';

const member = (address: string): UnderlayMember => ({ address, runDir: `/runs/${address}` });

describe('the underlay between chassis', () => {
  it('gives the hub .1 and a new chassis the lowest free address', () => {
    expect(hubAddress).toBe('172.31.255.1');
    expect(chooseAddress({}, 'hv2', undefined)).toBe('172.31.255.2');
    const members = { hv2: member('172.31.255.2'), hv4: member('172.31.255.4') };
    expect(chooseAddress(members, 'hv3', undefined)).toBe('172.31.255.3');
  });

  it('keeps the address a chassis had, and gives it another one it asks for', () => {
    const members = { hv2: member('172.31.255.7') };
    expect(chooseAddress(members, 'hv2', undefined)).toBe('172.31.255.7');
    expect(chooseAddress(members, 'hv2', '172.31.255.9')).toBe('172.31.255.9');
  });

  it("refuses another chassis' address", () => {
    expect(() => chooseAddress({ hv2: member('172.31.255.2') }, 'hv3', '172.31.255.2')).toThrow(
      /is chassis hv2's/,
    );
  });

  it.each(['172.31.255.1', '172.31.255.255', '172.31.255.0', '10.0.0.2', '172.31.255.02x', ''])(
    'refuses %j as a chassis address',
    (address) => {
      expect(isMemberAddress(address)).toBe(false);
      expect(() => chooseAddress({}, 'hv2', address)).toThrow(/is not usable/);
    },
  );

  it('says when it is full', () => {
    const members = Object.fromEntries(
      Array.from({ length: 253 }, (_, i) => [
        `hv${String(i)}`,
        member(`172.31.255.${String(i + 2)}`),
      ]),
    );
    expect(() => chooseAddress(members, 'one-more', undefined)).toThrow(/is full/);
  });

  it('names the veth pair of a chassis within 15 bytes, the same each time', () => {
    const links = underlayLinks('a-very-long-chassis-name.example.org');
    expect(links.hub).toMatch(/^ulh-[0-9a-f]{8}$/);
    expect(links.member).toBe(links.hub.replace('ulh-', 'ulc-'));
    expect(underlayLinks('a-very-long-chassis-name.example.org')).toEqual(links);
    expect(underlayLinks('hv2').hub).not.toBe(underlayLinks('hv3').hub);
  });

  it('makes br-ul a netdev bridge with a jumbo MTU and the endpoint as ovn-encap-ip', () => {
    const args = underlayBridgeArgs('172.31.255.2');
    expect(args.slice(0, 3)).toEqual(['--may-exist', 'add-br', 'br-ul']);
    expect(args).toEqual(
      expect.arrayContaining([
        'datapath_type=netdev',
        'mtu_request=9000',
        'external_ids:ovn-encap-ip=172.31.255.2',
      ]),
    );
    expect(args).not.toContain('--no-wait');
  });
});
