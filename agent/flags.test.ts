import { describe, expect, it } from '@jest/globals';
import { helpText, parseFlags } from '../controllers/manager/index.ts';
import { agentFlagGroups, agentFlags, configureAgent } from './flags.ts';
import type { HostModule } from './modules/index.ts';

const module = (name: string, flags: HostModule['flags']): HostModule => ({
  name,
  flags,
  configure: (values) => values,
  rbac: [],
  hostBound: [],
  register: () => undefined,
});

describe('the agent’s command line', () => {
  const groups = agentFlagGroups([]);
  const parse = (args: string[]) => configureAgent(parseFlags(args, groups));

  it('has defaults for everything but the topology', () => {
    const c = parse(['--host-name=node-1']);
    expect(c).toMatchObject({
      hostName: 'node-1',
      hostsNamespace: 'kcloud-hosts',
      heartbeatIntervalMs: 10_000,
      cpuOvercommit: 4,
      reservedMemoryBytes: 2 ** 30,
      simulate: 0,
      hypervisor: 'auto',
      topology: {},
    });
  });

  it('reads topology, capacity and simulation flags', () => {
    const c = parse([
      '--host-name=rack1-node-2',
      '--zone=zone-a',
      '--rack=r1',
      '--host-group=gpu',
      '--cpu-overcommit=1.5',
      '--reserved-memory=512Mi',
      '--simulate=3',
      '--hypervisor=tcg',
      '--heartbeat-interval=1s',
    ]);
    expect(c).toMatchObject({
      topology: { zone: 'zone-a', rack: 'r1', hostGroup: 'gpu' },
      cpuOvercommit: 1.5,
      reservedMemoryBytes: 512 * 2 ** 20,
      simulate: 3,
      hypervisor: 'tcg',
      heartbeatIntervalMs: 1000,
    });
  });

  it('refuses bad values, naming the flag', () => {
    expect(() => parse(['--host-name=Node_1'])).toThrow(
      '--host-name must be a lower-case DNS name',
    );
    expect(() => parse(['--host-name=n', '--simulate=-1'])).toThrow(
      /--simulate must be a whole number/,
    );
    expect(() => parse(['--host-name=n', '--simulate=two'])).toThrow(
      /--simulate must be a whole number/,
    );
    expect(() => parse(['--host-name=n', '--zone=a zone'])).toThrow(/--zone must be a label value/);
    expect(() => parse(['--host-name=n', '--cpu-overcommit=0'])).toThrow(/--cpu-overcommit/);
    expect(() => parse(['--host-name=n', '--reserved-memory=1GB'])).toThrow(/--reserved-memory/);
    expect(() => parse(['--host-name=n', '--hypervisor=xen'])).toThrow(/--hypervisor=xen/);
    expect(() => parse(['--nosuch'])).toThrow("Unknown option '--nosuch'");
    // Host names are label values too: at most 63 characters, simulated ones included.
    expect(() => parse([`--host-name=${'h'.repeat(64)}`])).toThrow(/at most 63 characters/);
    expect(() => parse([`--host-name=${'h'.repeat(56)}`, '--simulate=100'])).toThrow(
      /names hosts like h+-sim-100, longer than 63 characters/,
    );
  });

  it('takes a host module’s flags and shows them in --help; a clash stops the start', () => {
    const evs = module('evs', {
      'pool-dir': { type: 'string', default: '/p', description: 'pools' },
    });
    const withEvs = agentFlagGroups([evs]);
    expect(parseFlags(['--pool-dir=/q'], withEvs)['pool-dir']).toBe('/q');
    const help = helpText('kcloud-agent', withEvs);
    expect(help).toMatch(/^usage: kcloud-agent/);
    for (const name of Object.keys(agentFlags))
      expect(help).toMatch(new RegExp(`^  --${name}[= ]`, 'm'));
    expect(help).toMatch(/^the evs host module:\n {2}--pool-dir=VALUE +pools \(default \/p\)$/m);
    const clash = agentFlagGroups([module('x', { zone: { type: 'string', description: 'd' } })]);
    expect(() => parseFlags([], clash)).toThrow(
      '--zone is declared by both kcloud-agent and the x host module',
    );
  });
});
