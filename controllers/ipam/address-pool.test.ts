import { describe, expect, it } from '@jest/globals';
import { AddressPool } from './address-pool.ts';

describe('AddressPool', () => {
  it('hands out the lowest free usable address, skipping network, gateway and exclusions', () => {
    const pool = new AddressPool({
      cidrBlock: '10.0.1.0/24',
      excludedRanges: ['10.0.1.2-10.0.1.4', '10.0.1.6'],
    });
    expect(pool.gatewayIP).toBe('10.0.1.1');
    expect(pool.capacity()).toBe(254 - 1 - 4);
    expect(pool.allocate('ns/a')).toEqual({ ok: true, ip: '10.0.1.5' });
    expect(pool.allocate('ns/b')).toEqual({ ok: true, ip: '10.0.1.7' });
    // Idempotent: asking again gives the same address.
    expect(pool.allocate('ns/a')).toEqual({ ok: true, ip: '10.0.1.5' });
    expect(pool.used()).toBe(2);
    pool.release('ns/a');
    expect(pool.allocate('ns/c')).toEqual({ ok: true, ip: '10.0.1.5' });
  });

  it('uses a gateway other than the first address and hands out the first one', () => {
    const pool = new AddressPool({ cidrBlock: '10.0.2.0/24', gatewayIP: '10.0.2.254' });
    expect(pool.allocate('ns/a')).toEqual({ ok: true, ip: '10.0.2.1' });
  });

  it('honours fixed addresses and says exactly why one cannot be had', () => {
    const pool = new AddressPool({ cidrBlock: '10.0.1.0/24', excludedRanges: ['10.0.1.100'] });
    expect(pool.allocate('ns/fixed', '10.0.1.50')).toEqual({ ok: true, ip: '10.0.1.50' });
    expect(pool.allocate('ns/other', '10.0.1.50')).toMatchObject({
      ok: false,
      reason: 'IPInUse',
      holder: 'ns/fixed',
    });
    expect(pool.allocate('ns/other', '10.0.2.5')).toMatchObject({
      ok: false,
      reason: 'IPOutsideSubnet',
    });
    expect(pool.allocate('ns/other', '10.0.1.1')).toMatchObject({
      ok: false,
      reason: 'IPReserved',
      message: '10.0.1.1 is the gateway of 10.0.1.0/24',
    });
    expect(pool.allocate('ns/other', '10.0.1.255')).toMatchObject({
      reason: 'IPReserved',
      message: '10.0.1.255 is the broadcast address of 10.0.1.0/24',
    });
    expect(pool.allocate('ns/other', '10.0.1.100')).toMatchObject({
      reason: 'IPReserved',
      message: '10.0.1.100 is in an excluded range of 10.0.1.0/24',
    });
    // A free dynamic address never collides with a fixed one.
    for (let i = 0; i < 60; i++) {
      const r = pool.allocate(`ns/n${String(i)}`);
      expect(r.ok && r.ip !== '10.0.1.50').toBe(true);
    }
  });

  it('names the holder of a taken address the way users know it', () => {
    const pool = new AddressPool({
      cidrBlock: '10.0.1.0/24',
      describeHolder: (uid) => `NetworkInterface ns/${uid === 'uid-1' ? 'web' : '?'}`,
    });
    expect(pool.allocate('uid-1', '10.0.1.50')).toEqual({ ok: true, ip: '10.0.1.50' });
    const refused = pool.allocate('uid-2', '10.0.1.50');
    expect(refused).toMatchObject({ ok: false, reason: 'IPInUse', holder: 'uid-1' });
    expect(refused.ok ? '' : refused.message).toBe(
      '10.0.1.50 is already used by NetworkInterface ns/web',
    );
  });

  it('keeps the address a holder has when a request for another one fails', () => {
    const pool = new AddressPool({ cidrBlock: '10.0.1.0/24' });
    expect(pool.allocate('ns/a', '10.0.1.10')).toEqual({ ok: true, ip: '10.0.1.10' });
    expect(pool.allocate('ns/b', '10.0.1.11')).toEqual({ ok: true, ip: '10.0.1.11' });
    expect(pool.allocate('ns/a', '10.0.1.11')).toMatchObject({ ok: false, reason: 'IPInUse' });
    expect(pool.addressOf('ns/a')).toBe('10.0.1.10');
  });

  it('reports a full subnet', () => {
    const pool = new AddressPool({ cidrBlock: '10.0.3.0/29' });
    const got = Array.from({ length: 5 }, (_, i) => pool.allocate(`ns/${String(i)}`));
    expect(got.map((r) => (r.ok ? r.ip : r.reason))).toEqual([
      '10.0.3.2',
      '10.0.3.3',
      '10.0.3.4',
      '10.0.3.5',
      '10.0.3.6',
    ]);
    expect(pool.allocate('ns/late')).toMatchObject({ ok: false, reason: 'SubnetFull' });
    expect(pool.available()).toBe(0);
  });

  it('never gives one address to two holders, however allocations interleave', () => {
    const pool = new AddressPool({ cidrBlock: '10.1.0.0/22' });
    const ips = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const r = pool.allocate(`ns/${String(i)}`);
      if (!r.ok) throw new Error(r.message);
      ips.add(r.ip);
      if (i % 7 === 0) pool.release(`ns/${String(i - 3)}`);
    }
    const holders = new Map<string, string>();
    for (let i = 0; i < 500; i++) {
      const ip = pool.addressOf(`ns/${String(i)}`);
      if (ip === undefined) continue;
      expect(holders.has(ip)).toBe(false);
      holders.set(ip, `ns/${String(i)}`);
    }
    expect(holders.size).toBe(pool.used());
  });

  it('is rebuilt from recorded allocations and refuses a conflicting record', () => {
    const pool = new AddressPool({ cidrBlock: '10.0.1.0/24' });
    expect(pool.restore('ns/a', '10.0.1.2')).toBeUndefined();
    expect(pool.restore('ns/b', '10.0.1.3')).toBeUndefined();
    expect(pool.restore('ns/c', '10.0.1.3')).toBe('ns/b');
    expect(pool.allocate('ns/d')).toEqual({ ok: true, ip: '10.0.1.4' });
    expect(pool.allocate('ns/a')).toEqual({ ok: true, ip: '10.0.1.2' });
  });

  it('hands out only the allocatable ranges of a pool and names the pool in messages', () => {
    const pool = new AddressPool({
      cidrBlock: '203.0.113.0/24',
      gatewayIP: '203.0.113.1',
      allocatableRanges: ['203.0.113.10-203.0.113.11', '203.0.113.200'],
      noun: 'pool',
    });
    expect(pool.capacity()).toBe(3);
    expect(pool.allocate('a')).toEqual({ ok: true, ip: '203.0.113.10' });
    expect(pool.allocate('b', '203.0.113.200')).toEqual({ ok: true, ip: '203.0.113.200' });
    expect(pool.allocate('c', '203.0.113.50')).toMatchObject({
      ok: false,
      reason: 'IPReserved',
      message: '203.0.113.50 is outside the allocatable ranges of 203.0.113.0/24',
    });
    expect(pool.allocate('c', '198.51.100.7')).toMatchObject({
      ok: false,
      reason: 'IPOutsideSubnet',
      message: '198.51.100.7 is outside the pool 203.0.113.0/24',
    });
    expect(pool.allocate('c')).toEqual({ ok: true, ip: '203.0.113.11' });
    expect(pool.allocate('d')).toMatchObject({ ok: false, reason: 'SubnetFull' });
  });
});
