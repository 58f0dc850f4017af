import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../controllers/index.ts';
import { hostNames, hostScope, maxNamedHosts } from './names.ts';

const boundTo = (host?: string): KubeObject => ({
  metadata: {
    name: 'x',
    ...(host === undefined ? {} : { labels: { 'ecs.kcloud.io/host': host } }),
  },
});

describe('the hosts an agent answers for', () => {
  it('are its own host, or N simulated hosts named after it', () => {
    expect(hostNames('node-1', 0)).toEqual(['node-1']);
    expect(hostNames('bench', 3)).toEqual(['bench-sim-1', 'bench-sim-2', 'bench-sim-3']);
  });

  it('select the objects of one host, or of a few, on the server by the scheduler’s label', () => {
    expect(hostScope(['node-1'])).toEqual({ labelSelector: 'ecs.kcloud.io/host=node-1' });
    expect(hostScope(hostNames('b', 2))).toEqual({
      labelSelector: 'ecs.kcloud.io/host in (b-sim-1,b-sim-2)',
    });
    const most = hostScope(hostNames('b', maxNamedHosts));
    expect(most.filter).toBeUndefined();
    expect(most.labelSelector).toContain(`b-sim-${String(maxNamedHosts)})`);
    expect(() => hostScope([])).toThrow('no hosts to select');
  });

  it('select every bound object on the server and keep their own on this side beyond that', () => {
    const hosts = hostNames('bench', 5_000);
    // What the server would be sent otherwise: too long for a request header.
    expect(`ecs.kcloud.io/host in (${hosts.join(',')})`.length).toBeGreaterThan(70_000);
    const scope = hostScope(hosts);
    expect(scope.labelSelector).toBe('ecs.kcloud.io/host');
    const accepts = (host?: string) => scope.filter?.accepts(boundTo(host));
    expect(accepts('bench-sim-1')).toBe(true);
    expect(accepts('bench-sim-5000')).toBe(true);
    expect(accepts('bench-sim-5001')).toBe(false);
    expect(accepts('node-1')).toBe(false);
    expect(accepts('')).toBe(false);
    expect(accepts()).toBe(false);
  });

  it('name the filter by its hosts, so that informers of other hosts are never shared', () => {
    const id = (hosts: string[]) => hostScope(hosts).filter?.id;
    expect(id(hostNames('a', 101))).toBe(id(hostNames('a', 101)));
    expect(id(hostNames('a', 101))).not.toBe(id(hostNames('b', 101)));
    expect(id(hostNames('a', 101))).not.toBe(id(hostNames('a', 102)));
  });
});
