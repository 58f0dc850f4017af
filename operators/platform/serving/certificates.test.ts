import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import { connect } from 'node:tls';
import { describe, expect, it } from '@jest/globals';
import { makeCa, makeServingCert } from './certificates.ts';

describe('webhook certificates', () => {
  const now = new Date();
  const ca = makeCa('kcloud-webhook-ca', now, 3650);
  const serving = makeServingCert(ca, ['kcloud-webhook.kcloud-system.svc', '127.0.0.1'], now, 365);

  it('makes a CA that signs a serving certificate for the names and addresses asked', () => {
    const caCert = new X509Certificate(ca.cert);
    const cert = new X509Certificate(serving.cert);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.checkHost('kcloud-webhook.kcloud-system.svc')).toBeDefined();
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('other.example')).toBeUndefined();
    expect(Date.parse(cert.validTo) - now.getTime()).toBeGreaterThan(364 * 24 * 3600_000);
  });

  it('is trusted by a TLS client that knows only the CA', async () => {
    const server = createServer({ cert: serving.cert, key: serving.key }, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port, ca: ca.cert, servername: undefined },
          () => {
            resolve(socket.authorized);
            socket.end();
          },
        );
        socket.on('error', reject);
      });
      expect(authorized).toBe(true);
    } finally {
      server.close();
    }
  });
});
