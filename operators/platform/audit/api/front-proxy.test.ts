import { describe, expect, it } from '@jest/globals';
import { parseFrontProxy, requester } from './front-proxy.ts';

const data = {
  'requestheader-client-ca-file': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  'requestheader-allowed-names': '["front-proxy-client"]',
  'requestheader-username-headers': '["X-Remote-User"]',
  'requestheader-group-headers': '["X-Remote-Group"]',
};
const fp = parseFrontProxy(data);

const socket = (cn: string | undefined, authorized: boolean) => ({
  authorized,
  authorizationError: authorized ? null : new Error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
  getPeerCertificate: () => (cn === undefined ? {} : { subject: { CN: cn } }),
});

describe('the front proxy', () => {
  it('is read from the API server’s ConfigMap, and missing it is an error that says why', () => {
    expect(fp).toEqual({
      ca: data['requestheader-client-ca-file'],
      allowedNames: ['front-proxy-client'],
      userHeaders: ['X-Remote-User'],
      groupHeaders: ['X-Remote-Group'],
    });
    expect(() => parseFrontProxy({})).toThrow('without the aggregation layer');
    expect(() =>
      parseFrontProxy({ ...data, 'requestheader-allowed-names': 'front-proxy-client' }),
    ).toThrow();
  });

  it('passes the user on only from a certificate of its CA with an allowed name', () => {
    const headers = {
      'x-remote-user': 'audrey',
      'x-remote-group': ['auditors', 'system:authenticated'],
    };
    expect(requester(socket('front-proxy-client', true), headers, fp)).toEqual({
      user: 'audrey',
      groups: ['auditors', 'system:authenticated'],
    });
    expect(requester(socket(undefined, false), headers, fp)).toEqual({
      refused: 'no client certificate: only the API server may call the audit API',
    });
    expect(requester(socket('kcloud-admin', false), headers, fp)).toMatchObject({
      refused: expect.stringContaining('not signed by the front-proxy CA'),
    });
    expect(requester(socket('someone-else', true), headers, fp)).toEqual({
      refused: 'client certificate someone-else is not an allowed front proxy',
    });
    expect(requester(socket('front-proxy-client', true), {}, fp)).toEqual({
      refused: 'no user in the proxied request',
    });
    // No allowed names: any certificate the CA signed.
    expect(
      requester(socket('someone-else', true), headers, { ...fp, allowedNames: [] }),
    ).toMatchObject({ user: 'audrey' });
  });
});
