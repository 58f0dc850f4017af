import { describe, expect, it } from '@jest/globals';
import { configureVpc, ovnNbTls } from './flags.ts';

const files = { keyFile: '/t/tls.key', certFile: '/t/tls.crt', caFile: '/t/ca.crt' };

describe('the vpc operator’s --ovn-nb TLS flags', () => {
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

describe('the vpc operator’s settings', () => {
  it('splits --ovn-nb, takes the TLS files and the resync period', () => {
    expect(
      configureVpc({
        'ovn-nb': 'ssl:10.0.0.1:6641, ssl:10.0.0.2:6641,',
        'ovn-nb-key': files.keyFile,
        'ovn-nb-cert': files.certFile,
        'ovn-nb-ca': files.caFile,
        'resync-period': '30s',
        'status-batch-period': '250ms',
      }),
    ).toEqual({
      nbEndpoints: ['ssl:10.0.0.1:6641', 'ssl:10.0.0.2:6641'],
      nbTls: files,
      resyncPeriodMs: 30_000,
      statusBatchPeriodMs: 250,
    });
  });

  it('leaves the endpoints empty when --ovn-nb is not given (the operator refuses at start)', () => {
    expect(configureVpc({})).toEqual({
      nbEndpoints: [],
      resyncPeriodMs: 600_000,
      statusBatchPeriodMs: 5_000,
    });
  });

  it('refuses a bad --resync-period, naming it', () => {
    expect(() => configureVpc({ 'resync-period': 'soon' })).toThrow('--resync-period must be');
    expect(() => configureVpc({ 'status-batch-period': 'later' })).toThrow(
      '--status-batch-period must be',
    );
  });
});
