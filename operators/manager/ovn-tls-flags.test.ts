import { describe, expect, it } from '@jest/globals';
import { ovnNbTls } from './ovn-tls-flags.ts';

const files = { keyFile: '/t/tls.key', certFile: '/t/tls.crt', caFile: '/t/ca.crt' };

describe('the manager’s --ovn-nb TLS flags', () => {
  it('gives the client its key, certificate, CA and the server’s name', () => {
    expect(ovnNbTls(['ssl:10.0.0.1:6641'], { ...files, serverName: 'ovn-nb.kcloud.svc' })).toEqual({
      ...files,
      serverName: 'ovn-nb.kcloud.svc',
    });
    expect(ovnNbTls(['ssl:10.0.0.1:6641'], files)).toEqual(files);
  });

  it('needs none for unix: and tcp: remotes', () => {
    expect(ovnNbTls(['unix:/run/ovn/ovnnb_db.sock', 'tcp:10.0.0.1:6641'], {})).toBeUndefined();
  });

  it('refuses an ssl: remote without them, naming the flags', () => {
    expect(() => ovnNbTls(['tcp:10.0.0.1:6641', 'ssl:10.0.0.2:6641'], {})).toThrow(
      'an ssl: --ovn-nb needs --ovn-nb-key, --ovn-nb-cert and --ovn-nb-ca',
    );
  });

  it.each([
    [{ keyFile: files.keyFile }],
    [{ keyFile: files.keyFile, certFile: files.certFile }],
    [{ caFile: files.caFile }],
    [{ serverName: 'ovn-nb' }],
  ])('refuses a partial set %j', (flags) => {
    expect(() => ovnNbTls(['ssl:10.0.0.1:6641'], flags)).toThrow('must be given together');
  });
});
