import { describe, expect, it } from '@jest/globals';
import { guestLines } from './guest-cli.ts';
import { maxGuestName } from './guest.ts';
import { guestNameFor, guestOptionsFor, parseNicRef, type NicObject } from './guests.ts';

const ref = { namespace: 'default', name: 'demo-web-1' };

const nic = (over: Partial<NonNullable<NicObject['status']>> = {}, generation = 1): NicObject => ({
  metadata: { name: 'demo-web-1', namespace: 'default', generation },
  status: {
    observedGeneration: 1,
    conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }],
    portName: 'kcloud-eni-1234',
    macAddress: '0a:00:0a:0a:01:0a',
    ipAddress: '10.10.1.10',
    gatewayIP: '10.10.1.1',
    prefixLength: 24,
    ...over,
  },
});

describe('a guest for a NetworkInterface', () => {
  it('reads <namespace>/<name>', () => {
    expect(parseNicRef('default/demo-web-1')).toEqual(ref);
  });

  it.each(['demo-web-1', 'a/b/c', '/x', 'x/', 'Default/x', 'a b/c'])('refuses %j', (text) => {
    expect(() => parseNicRef(text)).toThrow(/give <namespace>\/<name>/);
  });

  it('is named by a digest of namespace and name, short enough for its veth names', () => {
    const name = guestNameFor(ref);
    expect(name).toMatch(/^g[0-9a-f]{10}$/);
    expect(name.length).toBeLessThanOrEqual(maxGuestName);
    expect(guestNameFor(ref)).toBe(name);
    expect(guestNameFor({ namespace: 'team-a', name: 'demo-web-1' })).not.toBe(name);
  });

  it("takes its port, MAC, address and gateway from the NIC's status", () => {
    expect(guestOptionsFor(ref, nic())).toEqual({
      name: guestNameFor(ref),
      ifaceId: 'kcloud-eni-1234',
      mac: '0a:00:0a:0a:01:0a',
      address: '10.10.1.10/24',
      gateway: '10.10.1.1',
    });
  });

  it('refuses a NIC that is not Ready for its current generation, saying why', () => {
    expect(() => guestOptionsFor(ref, nic({}, 2))).toThrow(
      /NetworkInterface default\/demo-web-1: Ready=True is for an older generation.*wait until it is Ready/,
    );
    expect(() =>
      guestOptionsFor(
        ref,
        nic({
          conditions: [
            { type: 'Ready', status: 'False', reason: 'SubnetFull', observedGeneration: 1 },
          ],
        }),
      ),
    ).toThrow(/Ready=False SubnetFull/);
  });

  it('refuses a Ready NIC without an address', () => {
    expect(() => guestOptionsFor(ref, nic({ ipAddress: '' }))).toThrow(
      /is Ready without status.ipAddress/,
    );
  });

  it('lists guests with their state', () => {
    const guest = {
      nic: 'default/demo-web-1',
      name: 'g0123456789',
      portName: 'kcloud-eni-1234',
      mac: '0a:00:0a:0a:01:0a',
      address: '10.10.1.10/24',
      gateway: '10.10.1.1',
      holder: { name: 'guest g0123456789', pid: 4242, binary: '/usr/bin/sleep', startedAt: '' },
    };
    const lines = guestLines([
      { guest, alive: true, plugged: true },
      { guest: { ...guest, nic: 'default/demo-db-1' }, alive: true, plugged: false },
    ]);
    expect(lines[0]).toMatch(/^INTERFACE\s+GUEST\s+PID\s+ADDRESS\s+MAC\s+PORT\s+STATE$/);
    expect(lines[1]).toMatch(
      /^default\/demo-web-1\s+g0123456789\s+4242\s+10\.10\.1\.10\/24 .* plugged$/,
    );
    expect(lines[2]).toMatch(
      /unplugged \(ovs-vswitchd stopped: hack\/ovn.sh up plugs it in again\)$/,
    );
    expect(guestLines([])).toEqual(['no guests']);
  });
});
