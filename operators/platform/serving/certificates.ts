// X.509 certificates for the webhook's TLS, made with node:crypto alone (the manager's image
// has no openssl): a self-signed CA and a serving certificate it signs, ECDSA P-256, encoded
// in DER by hand. Only what TLS clients (Go's crypto/x509 in the API server) check is written.
import {
  X509Certificate,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import { isIP } from 'node:net';

export interface KeyPairPem {
  cert: string;
  key: string;
}

const tlv = (tag: number, body: Buffer): Buffer => {
  const n = body.length;
  const len =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, body: Buffer) => tlv(0xa0 + n, body);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, (v[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function bitString(b: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b]));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  // UTCTime up to 2049, GeneralizedTime after, as RFC 5280 says.
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2)))
    : tlv(0x18, Buffer.from(iso));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
const extension = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function subjectAltNames(names: readonly string[]): Buffer {
  return seq(
    ...names.map((n) =>
      isIP(n) === 4
        ? tlv(0x87, Buffer.from(n.split('.').map(Number)))
        : tlv(0x82, Buffer.from(n, 'ascii')),
    ),
  );
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

interface CertOptions {
  commonName: string;
  issuer: { commonName: string; key: string } | 'self';
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  dnsNames?: readonly string[];
}

function certificate(opts: CertOptions): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer = opts.issuer === 'self' ? privateKey : createPrivateKey(opts.issuer.key);
  const issuerName = opts.issuer === 'self' ? opts.commonName : opts.issuer.commonName;
  const extensions = opts.ca
    ? [
        extension('2.5.29.19', true, seq(bool(true))),
        // keyCertSign and cRLSign, digitalSignature: bits 0, 5 and 6.
        extension('2.5.29.15', true, bitString(Buffer.from([0x86]), 1)),
      ]
    : [
        extension('2.5.29.19', true, seq()),
        extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7)),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
        extension('2.5.29.17', false, subjectAltNames(opts.dnsNames ?? [])),
      ];
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name(issuerName),
    seq(time(opts.notBefore), time(opts.notAfter)),
    name(opts.commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, signer);
  return {
    cert: pem('CERTIFICATE', seq(tbs, ecdsaWithSha256, bitString(signature))),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const day = 24 * 3600_000;

/** A self-signed CA, valid from an hour ago (clock skew) for `days`. */
export function makeCa(commonName: string, now: Date, days: number): KeyPairPem {
  return certificate({
    commonName,
    issuer: 'self',
    ca: true,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + days * day),
  });
}

/** A serving certificate for `names` (DNS names and IPv4 addresses), signed by `ca`. */
export function makeServingCert(
  ca: KeyPairPem,
  names: readonly string[],
  now: Date,
  days: number,
): KeyPairPem {
  return certificate({
    commonName: names[0] ?? 'kcloud-webhook',
    issuer: { commonName: new X509Certificate(ca.cert).subject.replace(/^CN=/, ''), key: ca.key },
    ca: false,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + days * day),
    dnsNames: names,
  });
}
