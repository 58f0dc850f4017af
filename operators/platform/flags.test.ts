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
