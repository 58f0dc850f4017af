import { describe, expect, it } from '@jest/globals';
import { requestedChassisAnnotation, requestedChassisOf } from '../api/index.ts';
import { desiredInterfacePort } from './desired.ts';
import { withRequestedChassis } from './requested-chassis.ts';

const owner = { kind: 'NetworkInterface', namespace: 'team-a', name: 'vm-eth0', uid: 'nic-1' };
const port = () =>
  desiredInterfacePort({
    owner,
    vpcUid: 'vpc-1',
    ipAddress: '10.0.1.5',
    macAddress: '0a:00:00:00:00:05',
    portSecurity: true,
  });
const nic = (annotations?: Record<string, string>) => ({ metadata: { annotations } });

describe('requested-chassis on an interface port', () => {
  it('writes the annotated chassis, and nothing else, into options:requested-chassis', () => {
    const asked = requestedChassisOf(nic({ [requestedChassisAnnotation]: 'kcloud-2h-b' }));
    expect(asked).toEqual({ chassis: 'kcloud-2h-b' });
    const p = withRequestedChassis(port(), 'chassis' in asked ? asked.chassis : undefined);
    expect(p.options).toEqual({ 'requested-chassis': 'kcloud-2h-b' });
    // The rest of the port is what it was.
    expect({ ...p, options: undefined }).toEqual({ ...port(), options: undefined });
  });

  it('empties the options of an interface without the annotation: any chassis may bind it', () => {
    expect(requestedChassisOf(nic())).toEqual({});
    expect(requestedChassisOf(nic({ other: 'x' }))).toEqual({});
    expect(withRequestedChassis(port(), undefined).options).toEqual({});
  });

  it('takes a host name or a UUID, as system-ids are', () => {
    for (const name of [
      'hv1',
      'node-7.rack2.example.com',
      '4f0c9d3e-1b2a-4c5d-9e8f-0a1b2c3d4e5f',
    ]) {
      expect(requestedChassisOf(nic({ [requestedChassisAnnotation]: name }))).toEqual({
        chassis: name,
      });
    }
  });

  it('refuses what OVN would read as more or other than one chassis', () => {
    // A comma makes a list (a port several chassis claim); blanks and empty mean no name.
    for (const value of ['hv1,hv2', 'hv1 hv2', '', ' hv1', '-hv1', 'hv1\n', 'x'.repeat(254)]) {
      expect(requestedChassisOf(nic({ [requestedChassisAnnotation]: value }))).toEqual({
        invalid: value,
      });
    }
  });
});
