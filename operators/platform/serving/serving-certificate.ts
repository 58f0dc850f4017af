// The webhook's certificate, kept in a Secret so that every replica serves the same one and a
// restart keeps it: a CA (ten years) and a serving certificate it signs (one year). Each is
// made again well before it expires; the CA bundle the API server trusts holds the new CA and
// the old one while it is valid, so certificates of either are trusted during a change.
import { X509Certificate } from 'node:crypto';
import {
  isConflict,
  isNotFound,
  type KubeObject,
  type ObjectClient,
} from '../../../controllers/kube/index.ts';
import { makeCa, makeServingCert, type KeyPairPem } from './certificates.ts';

export interface ServingCertificate {
  /** The CAs the API server must trust (PEM, one or two certificates). */
  caBundle: string;
  cert: string;
  key: string;
  /** When the next check should make a new one (the earliest renewal time). */
  renewAt: Date;
}

export interface CertificatePolicy {
  caDays: number;
  caRenewBeforeDays: number;
  servingDays: number;
  servingRenewBeforeDays: number;
}

export const defaultCertificatePolicy: CertificatePolicy = {
  caDays: 3650,
  caRenewBeforeDays: 365,
  servingDays: 365,
  servingRenewBeforeDays: 30,
};

const day = 24 * 3600_000;
const caName = 'kcloud-webhook-ca';

type SecretObject = KubeObject & { data?: Record<string, string>; type?: string };

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : undefined);

function parse(pem: string | undefined): X509Certificate | undefined {
  try {
    return pem ? new X509Certificate(pem) : undefined;
  } catch {
    return undefined;
  }
}

/** The certificates a Secret holds, made again where missing, expiring, or for other names. */
export function renew(
  data: Record<string, string> | undefined,
  names: readonly string[],
  now: Date,
  policy: CertificatePolicy,
): { changed: boolean; data: Record<string, string>; current: ServingCertificate } {
  const held = {
    caCert: unb64(data?.['ca.crt']),
    caKey: unb64(data?.['ca.key']),
    cert: unb64(data?.['tls.crt']),
    key: unb64(data?.['tls.key']),
  };
  const renewDue = (c: X509Certificate | undefined, before: number) =>
    !c || Date.parse(c.validTo) - before * day <= now.getTime();

  let changed = false;
  let ca: KeyPairPem | undefined =
    held.caCert && held.caKey ? { cert: held.caCert, key: held.caKey } : undefined;
  let previousCa: string | undefined;
  const caCert = parse(ca?.cert);
  if (!ca || renewDue(caCert, policy.caRenewBeforeDays)) {
    if (caCert && Date.parse(caCert.validTo) > now.getTime()) previousCa = ca?.cert;
    ca = makeCa(caName, now, policy.caDays);
    changed = true;
  } else {
    previousCa = unb64(data?.['previous-ca.crt']);
    if (previousCa && renewDue(parse(previousCa), 0)) previousCa = undefined;
  }
  const newCa = parse(ca.cert);
  let serving: KeyPairPem | undefined =
    held.cert && held.key ? { cert: held.cert, key: held.key } : undefined;
  const cert = parse(serving?.cert);
  const coversNames = (c: X509Certificate) =>
    names.every(
      (n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? c.checkIP(n) : c.checkHost(n)) !== undefined,
    );
  if (
    changed ||
    !serving ||
    !cert ||
    !newCa ||
    !cert.checkIssued(newCa) ||
    !coversNames(cert) ||
    renewDue(cert, policy.servingRenewBeforeDays)
  ) {
    serving = makeServingCert(ca, names, now, policy.servingDays);
    changed = true;
  }
  const servingCert = parse(serving.cert);
  const renewAt = Math.min(
    Date.parse(servingCert?.validTo ?? '') - policy.servingRenewBeforeDays * day,
    Date.parse(newCa?.validTo ?? '') - policy.caRenewBeforeDays * day,
  );
  const out: Record<string, string> = {
    'ca.crt': b64(ca.cert),
    'ca.key': b64(ca.key),
    'tls.crt': b64(serving.cert),
    'tls.key': b64(serving.key),
    ...(previousCa ? { 'previous-ca.crt': b64(previousCa) } : {}),
  };
  if ((data?.['previous-ca.crt'] ?? '') !== (out['previous-ca.crt'] ?? '')) changed = true;
  return {
    changed,
    data: out,
    current: {
      caBundle: ca.cert + (previousCa ?? ''),
      cert: serving.cert,
      key: serving.key,
      renewAt: new Date(renewAt),
    },
  };
}

/**
 * The serving certificate from the Secret, made or renewed there first when needed. Two
 * replicas doing it at once: the second's write conflicts, and it takes the first's.
 */
export async function ensureServingCertificate(
  secrets: ObjectClient<SecretObject>,
  where: { namespace: string; name: string },
  names: readonly string[],
  now: Date,
  policy: CertificatePolicy = defaultCertificatePolicy,
): Promise<ServingCertificate> {
  for (let attempt = 0; ; attempt++) {
    let secret: SecretObject | undefined;
    try {
      secret = await secrets.get(where.namespace, where.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const { changed, data, current } = renew(secret?.data, names, now, policy);
    if (!changed) return current;
    try {
      if (secret) await secrets.update({ ...secret, data });
      else
        await secrets.create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: where.name, namespace: where.namespace },
          type: 'Opaque',
          data,
        });
      return current;
    } catch (err) {
      if (attempt >= 3 || !(isConflict(err) || (err as { status?: number }).status === 409))
        throw err;
    }
  }
}

/** How often a certificate cert-manager issues is read again: it renews on its own schedule. */
export const issuedRecheckMs = 60_000;

/**
 * The serving certificate cert-manager issued into the Secret (tls.crt, tls.key, ca.crt), read
 * as it is: kcloud makes nothing, and cert-manager's CA injector gives the configuration its
 * CA bundle. Missing or incomplete (not issued yet) is an error, to be tried again.
 */
export async function readIssuedCertificate(
  secrets: ObjectClient<SecretObject>,
  where: { namespace: string; name: string },
  now: Date,
  recheckMs = issuedRecheckMs,
): Promise<ServingCertificate> {
  let secret: SecretObject;
  try {
    secret = await secrets.get(where.namespace, where.name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new Error(
      `Secret ${where.namespace}/${where.name} does not exist yet: cert-manager issues it`,
      {
        cause: err,
      },
    );
  }
  const cert = unb64(secret.data?.['tls.crt']);
  const key = unb64(secret.data?.['tls.key']);
  if (!cert || !key || !parse(cert)) {
    throw new Error(
      `Secret ${where.namespace}/${where.name} holds no certificate and key yet: cert-manager issues them`,
    );
  }
  return {
    caBundle: unb64(secret.data?.['ca.crt']) ?? '',
    cert,
    key,
    renewAt: new Date(now.getTime() + recheckMs),
  };
}
