import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { defaultCertificatePolicy, renew } from './serving-certificate.ts';

const day = 24 * 3600_000;
const names = ['kcloud-webhook.kcloud-system.svc'];
const cert = (data: Record<string, string>, key: string) =>
  new X509Certificate(Buffer.from(data[key] ?? '', 'base64').toString());

describe('the webhook certificate in its Secret', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const first = renew(undefined, names, start, defaultCertificatePolicy);

  it('is made when the Secret holds none, and kept while it is good', () => {
    expect(first.changed).toBe(true);
    expect(cert(first.data, 'tls.crt').checkIssued(cert(first.data, 'ca.crt'))).toBe(true);
    expect(first.current.caBundle).toBe(
      Buffer.from(first.data['ca.crt'] ?? '', 'base64').toString(),
    );
    const later = renew(
      first.data,
      names,
      new Date(start.getTime() + 300 * day),
      defaultCertificatePolicy,
    );
    expect(later.changed).toBe(false);
    expect(later.data).toEqual(first.data);
    // Renewal is due 30 days before the serving certificate's end.
    expect(first.current.renewAt.getTime()).toBe(
      Date.parse(cert(first.data, 'tls.crt').validTo) - 30 * day,
    );
  });

  it('renews the serving certificate 30 days before it expires, with the same CA', () => {
    const due = renew(
      first.data,
      names,
      new Date(start.getTime() + 336 * day),
      defaultCertificatePolicy,
    );
    expect(due.changed).toBe(true);
    expect(due.data['ca.crt']).toBe(first.data['ca.crt']);
    expect(due.data['tls.crt']).not.toBe(first.data['tls.crt']);
    expect(Date.parse(cert(due.data, 'tls.crt').validTo)).toBeGreaterThan(
      start.getTime() + 700 * day,
    );
  });

  it('renews the CA a year before it expires, trusting the old one beside it meanwhile', () => {
    const at = new Date(start.getTime() + 3290 * day);
    const rotated = renew(first.data, names, at, defaultCertificatePolicy);
    expect(rotated.changed).toBe(true);
    expect(rotated.data['ca.crt']).not.toBe(first.data['ca.crt']);
    expect(rotated.data['previous-ca.crt']).toBe(first.data['ca.crt']);
    expect(rotated.current.caBundle).toContain(
      Buffer.from(first.data['ca.crt'] ?? '', 'base64').toString(),
    );
    expect(cert(rotated.data, 'tls.crt').checkIssued(cert(rotated.data, 'ca.crt'))).toBe(true);
    // Once the old CA has expired it leaves the bundle.
    const after = renew(
      rotated.data,
      names,
      new Date(start.getTime() + 3660 * day),
      defaultCertificatePolicy,
    );
    expect(after.data['previous-ca.crt']).toBeUndefined();
  });

  it('is made again for other names', () => {
    const moved = renew(first.data, ['other.kcloud-system.svc'], start, defaultCertificatePolicy);
    expect(moved.changed).toBe(true);
    expect(cert(moved.data, 'tls.crt').checkHost('other.kcloud-system.svc')).toBeDefined();
  });
});
