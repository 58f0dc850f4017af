// What the API server itself refuses of LoadBalancers (schema and CEL): L7 listeners, two
// listeners on one protocol and port, a listener naming no pool, a member naming no target or
// two, a weight outside 1-100, an ip member in a health-checked pool,
// ports outside 1-65535, algorithms OVN cannot do, and a change of Subnet or VIP.
import { describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';

const cluster = useTestCluster('slb-api');
const api = 'slb.kcloud.io/v1alpha1';

const lb = (name: string, spec: object) =>
  `apiVersion: ${api}\nkind: LoadBalancer\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

const member = (extra: object = {}) => ({
  networkInterfaceRef: { name: 'web1' },
  port: 8080,
  ...extra,
});
const listener = (extra: object = {}) => ({
  name: 'http',
  protocol: 'TCP',
  port: 80,
  backendPool: 'web',
  ...extra,
});
const spec = (over: { listeners?: object[]; pool?: object; members?: object[] } = {}) => ({
  subnetRef: { name: 's1' },
  listeners: over.listeners ?? [listener()],
  backendPools: [{ name: 'web', members: over.members ?? [member()], ...(over.pool ?? {}) }],
});

async function refused(yamlText: string): Promise<string> {
  const r = await rejection(cluster.apply(yamlText));
  expect(r.code).toBe(422);
  return r.message;
}

describe('LoadBalancer validation', () => {
  it('accepts TCP and UDP listeners, every kind of member, persistence and a health check', async () => {
    await cluster.apply(
      lb('ok', {
        subnetRef: { name: 's1' },
        vip: '10.0.1.100',
        listeners: [
          listener({ algorithm: 'SourceIPHash', sessionPersistence: { timeoutSeconds: 60 } }),
          listener({ name: 'dns', protocol: 'UDP', port: 53, backendPool: 'dns' }),
          listener({ name: 'alt', protocol: 'UDP', port: 80, backendPool: 'dns' }),
        ],
        backendPools: [
          {
            name: 'web',
            members: [
              member(),
              { instanceRef: { name: 'vm1' }, port: 8080, weight: 1, drain: true },
            ],
            healthCheck: { intervalSeconds: 2, unhealthyThreshold: 2 },
          },
          { name: 'dns', members: [{ ip: '10.0.1.7', port: 53, weight: 5 }] },
        ],
      }),
    );
    const obj = (await cluster.read({ apiVersion: api, kind: 'LoadBalancer', name: 'ok' })) as {
      spec: { listeners: { algorithm?: string }[]; backendPools: { healthCheck?: object }[] };
    };
    expect(obj.spec.listeners[1]?.algorithm).toBe('FiveTupleHash');
    expect(obj.spec.backendPools[0]?.healthCheck).toEqual({
      intervalSeconds: 2,
      timeoutSeconds: 3,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    });
  });

  it('refuses HTTP and HTTPS listeners saying L7 is not available yet', async () => {
    for (const protocol of ['HTTP', 'HTTPS']) {
      expect(await refused(lb('bad', spec({ listeners: [listener({ protocol })] })))).toContain(
        'HTTP and HTTPS listeners need L7 load balancing, which is not available yet',
      );
    }
  });

  it('refuses two listeners on one protocol and port, but not the same port of another protocol', async () => {
    expect(
      await refused(lb('bad', spec({ listeners: [listener(), listener({ name: 'again' })] }))),
    ).toContain('two listeners use the same protocol and port');
    await cluster.apply(
      lb(
        'two-protocols',
        spec({ listeners: [listener(), listener({ name: 'u', protocol: 'UDP' })] }),
      ),
    );
  });

  it('refuses a listener whose pool does not exist', async () => {
    expect(
      await refused(lb('bad', spec({ listeners: [listener({ backendPool: 'nope' })] }))),
    ).toContain('every listener’s backendPool must name a pool of spec.backendPools');
  });

  it('refuses a member with no target or with two', async () => {
    for (const m of [
      { port: 80 },
      { ip: '10.0.1.7', networkInterfaceRef: { name: 'web1' }, port: 80 },
      { instanceRef: { name: 'vm1' }, networkInterfaceRef: { name: 'web1' }, port: 80 },
    ]) {
      expect(await refused(lb('bad', spec({ members: [m] })))).toContain(
        'a member names exactly one target: instanceRef, networkInterfaceRef or ip',
      );
    }
  });

  it('accepts unequal weights, and refuses a weight outside 1-100', async () => {
    await cluster.apply(
      lb('weighed', spec({ members: [member({ weight: 3 }), member({ port: 8081 })] })),
    );
    for (const weight of [0, 101]) {
      expect(await refused(lb('bad', spec({ members: [member({ weight })] })))).toContain(
        'spec.backendPools[0].members[0].weight',
      );
    }
  });

  it('refuses an ip member in a pool with a health check', async () => {
    expect(
      await refused(
        lb('bad', spec({ members: [{ ip: '10.0.1.7', port: 80 }], pool: { healthCheck: {} } })),
      ),
    ).toContain('a pool with a health check takes instanceRef or networkInterfaceRef members only');
  });

  it('refuses ports outside 1-65535, unknown algorithms and a non-canonical VIP', async () => {
    expect(await refused(lb('bad', spec({ listeners: [listener({ port: 0 })] })))).toMatch(
      /spec\.listeners\[0\]\.port: Invalid value/,
    );
    expect(await refused(lb('bad', spec({ members: [member({ port: 65536 })] })))).toMatch(
      /spec\.backendPools\[0\]\.members\[0\]\.port: Invalid value/,
    );
    expect(
      await refused(lb('bad', spec({ listeners: [listener({ algorithm: 'RoundRobin' })] }))),
    ).toContain('Unsupported value: "RoundRobin"');
    expect(await refused(lb('bad', { ...spec(), vip: '10.0.1.010' }))).toContain(
      'must be an IPv4 address',
    );
  });

  it('refuses changing the Subnet, or adding or changing the VIP', async () => {
    await cluster.apply(lb('fixed', spec()));
    expect(await refused(lb('fixed', { ...spec(), subnetRef: { name: 's2' } }))).toContain(
      'subnetRef is immutable',
    );
    expect(await refused(lb('fixed', { ...spec(), vip: '10.0.1.9' }))).toContain(
      'vip is immutable',
    );
  });
});
