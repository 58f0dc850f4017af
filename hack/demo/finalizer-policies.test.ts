import { describe, expect, it } from '@jest/globals';
import { meteringFinalizer } from '../../operators/platform/metering/index.ts';
import { vpcFinalizer } from '../../operators/vpc/index.ts';
import { demoFinalizerPolicies } from './finalizer-policies.ts';

describe('the demo’s finalizer policies', () => {
  it('follow the manager’s operators and namespace', () => {
    const summary = (flags: string[]) =>
      demoFinalizerPolicies(flags).map((p) => ({
        finalizer: p.finalizer.finalizer,
        ...p.options,
        runs: p.runs,
      }));
    expect(summary([])).toEqual([
      { finalizer: vpcFinalizer, name: 'kcloud-vpc', runs: true },
      { finalizer: meteringFinalizer, name: 'kcloud-metering', runs: true },
    ]);
    expect(summary(['--operators=vpc,metering', '--namespace', 'dev'])).toEqual([
      { finalizer: vpcFinalizer, name: 'kcloud-vpc', namespaces: ['dev'], runs: true },
      { finalizer: meteringFinalizer, name: 'kcloud-metering', namespaces: ['dev'], runs: true },
    ]);
    expect(summary(['--operators=ecs']).map((p) => p.runs)).toEqual([false, false]);
  });
});
