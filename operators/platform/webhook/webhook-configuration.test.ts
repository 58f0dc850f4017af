import { describe, expect, it } from '@jest/globals';
import { configurePlatform } from '../flags.ts';
import { webhookConfiguration } from './webhook-configuration.ts';

interface Hook {
  name: string;
  failurePolicy: string;
  clientConfig: { url?: string; service?: object; caBundle: string };
  rules: { apiGroups: string[]; operations: string[]; resources: string[] }[];
  namespaceSelector: object;
}

describe('the quota webhook configuration', () => {
  const config = webhookConfiguration(
    { name: 'kcloud-quota', clientConfig: { url: 'https://127.0.0.1:9443' } },
    'CA',
  );
  const hooks = (config as unknown as { webhooks: Hook[] }).webhooks;

  it('fails closed for creates and resizes of the counted kinds, open for the release on delete', () => {
    const [check, release] = hooks;
    expect(check).toMatchObject({
      failurePolicy: 'Fail',
      clientConfig: { url: 'https://127.0.0.1:9443/validate' },
    });
    expect(check?.rules.flatMap((r) => r.resources).sort()).toEqual(
      [
        'eips',
        'instances',
        'loadbalancers',
        'securitygroups',
        'subnets',
        'volumes',
        'volumesnapshots',
        'vpcs',
      ].sort(),
    );
    expect(check?.rules.every((r) => r.operations.join() === 'CREATE,UPDATE')).toBe(true);
    expect(release).toMatchObject({ failurePolicy: 'Ignore' });
    expect(release?.rules.every((r) => r.operations.join() === 'DELETE')).toBe(true);
    expect(check?.clientConfig.caBundle).toBe(Buffer.from('CA').toString('base64'));
  });

  it('is sent only objects in projects', () => {
    expect(hooks[0]?.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'platform.kcloud.io/tenant', operator: 'Exists' }],
    });
  });

  it('is reached through a Service by default, at a URL when given one', () => {
    const byService = configurePlatform({
      'quota-webhook': 'true',
      'webhook-addr': '0.0.0.0:9443',
      'webhook-service': 'kcloud-system/kcloud-webhook:443',
      'webhook-secret': 'kcloud-system/kcloud-webhook-tls',
      'webhook-configuration': 'kcloud-quota',
    });
    expect(byService.webhook?.clientConfig(9443)).toEqual({
      service: { namespace: 'kcloud-system', name: 'kcloud-webhook', port: 443 },
    });
    expect(byService.webhook?.certificateNames).toContain('kcloud-webhook.kcloud-system.svc');
    const byUrl = configurePlatform({
      'quota-webhook': 'true',
      'webhook-addr': '127.0.0.1:9443',
      'webhook-url': 'https://127.0.0.1:9443',
      'webhook-secret': 'kcloud-system/kcloud-webhook-tls',
      'webhook-configuration': 'kcloud-quota',
    });
    expect(byUrl.webhook?.certificateNames).toEqual(['127.0.0.1']);
    expect(() => configurePlatform({ 'quota-webhook': 'true', 'webhook-addr': '9443' })).toThrow(
      '--webhook-addr',
    );
    expect(configurePlatform({ 'quota-webhook': 'false' }).webhook).toBeUndefined();
  });
});
