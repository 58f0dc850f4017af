import { describe, expect, it } from '@jest/globals';
import { configurePlatform, platformFlags } from './flags.ts';

// As the manager's command line parses them when none is given.
const defaults = Object.fromEntries(
  Object.entries(platformFlags).map(([name, spec]) => [name, spec.default]),
);

describe('the platform operator’s webhook flags', () => {
  it('serve behind a Service by default, writing the whole configuration', () => {
    const { webhook } = configurePlatform(defaults);
    expect(webhook).toMatchObject({
      listen: { host: '0.0.0.0', port: 9443 },
      certificateNames: [
        'kcloud-webhook.kcloud-system.svc',
        'kcloud-webhook.kcloud-system.svc.cluster.local',
      ],
      secret: { namespace: 'kcloud-system', name: 'kcloud-webhook-tls' },
      configurationName: 'kcloud-quota',
      manageConfiguration: true,
      certificate: 'kcloud',
    });
    expect(webhook?.clientConfig(9443)).toEqual({
      service: { namespace: 'kcloud-system', name: 'kcloud-webhook', port: 443 },
    });
  });

  it('fill in only the CA bundle of a configuration the chart makes', () => {
    expect(
      configurePlatform({ ...defaults, 'manage-webhook-configuration': 'false' }).webhook
        ?.manageConfiguration,
    ).toBe(false);
  });

  it('refuse what is neither true nor false, and serve nothing when off', () => {
    expect(() => configurePlatform({ ...defaults, 'manage-webhook-configuration': 'yes' })).toThrow(
      '--manage-webhook-configuration: expected true or false, got yes',
    );
    expect(() => configurePlatform({ 'quota-webhook': 'on' })).toThrow(
      '--quota-webhook: expected true or false, got on',
    );
    expect(() => configurePlatform({ ...defaults, 'webhook-certificate': 'vault' })).toThrow(
      '--webhook-certificate: expected kcloud or cert-manager, got vault',
    );
    expect(configurePlatform({ 'quota-webhook': 'false' }).webhook).toBeUndefined();
  });
});

describe('the platform operator’s audit API flags', () => {
  it('serve no audit API without a log', () => {
    expect(configurePlatform(defaults).auditApi).toBeUndefined();
  });

  it('serve the log behind the Service the APIService names, its certificate for that name', () => {
    const { auditApi } = configurePlatform({ ...defaults, 'audit-log': '/var/log/audit.log' });
    expect(auditApi).toEqual({
      logPath: '/var/log/audit.log',
      listen: { host: '0.0.0.0', port: 9444 },
      service: { namespace: 'kcloud-system', name: 'kcloud-audit', port: 443 },
      certificateNames: [
        'kcloud-audit.kcloud-system.svc',
        'kcloud-audit.kcloud-system.svc.cluster.local',
      ],
      secret: { namespace: 'kcloud-system', name: 'kcloud-audit-tls' },
      manageApiService: true,
    });
    expect(() =>
      configurePlatform({ ...defaults, 'audit-log': '/a', 'audit-service': 'ns/svc:x' }),
    ).toThrow('--audit-service: expected namespace/name:port, got ns/svc:x');
    expect(() =>
      configurePlatform({ ...defaults, 'audit-log': '/a', 'manage-api-service': 'maybe' }),
    ).toThrow('--manage-api-service: expected true or false, got maybe');
  });
});
