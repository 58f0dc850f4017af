import { describe, expect, it } from '@jest/globals';
import { demoMeteringPolicy } from './metering-policy.ts';

describe('the demo’s metering finalizer policy', () => {
  it('follows the manager’s operators and namespace', () => {
    expect(demoMeteringPolicy([])).toEqual({ name: 'kcloud-metering' });
    expect(demoMeteringPolicy(['--operators=vpc,metering', '--namespace', 'dev'])).toEqual({
      name: 'kcloud-metering',
      namespaces: ['dev'],
    });
    expect(demoMeteringPolicy(['--operators=vpc,ecs'])).toBeUndefined();
  });
});
