import { randomBytes } from 'node:crypto';
import { StorageError } from './errors.ts';
import type { OwnerKind } from './storage-backend.ts';

/**
 * Backend names carry the owner's UID: `vol-<uid>`, `snap-<uid>`, `img-<uid>`. A half-built
 * object is `<name>.partial-<attempt>` where the attempt encodes when it started, so a later
 * attempt can tell its own partial from a crashed one's. An object moved aside is
 * `q-<time>-<name>`. Namespaces and names live beside the object (a sidecar file, RBD
 * image-meta), not in its name: UIDs are what stays unique and short.
 */

const prefixes: Record<OwnerKind, string> = { Volume: 'vol', VolumeSnapshot: 'snap', Image: 'img' };
const kindsByPrefix = new Map<string, OwnerKind>(
  Object.entries(prefixes).map(([kind, prefix]) => [prefix, kind as OwnerKind]),
);

/** Kubernetes UIDs are RFC 4122 strings; anything else could smuggle path or option syntax. */
const uidPattern = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

export function checkUid(uid: string): string {
  if (!uidPattern.test(uid)) {
    throw new StorageError(
      'InvalidRequest',
      `owner UID ${JSON.stringify(uid)} is not a Kubernetes UID (lowercase letters, digits, dashes)`,
    );
  }
  return uid;
}

export function objectName(kind: OwnerKind, uid: string): string {
  return `${prefixes[kind]}-${checkUid(uid)}`;
}

export function parseObjectName(name: string): { kind: OwnerKind; uid: string } | undefined {
  const dash = name.indexOf('-');
  if (dash < 0) return undefined;
  const kind = kindsByPrefix.get(name.slice(0, dash));
  const uid = name.slice(dash + 1);
  if (!kind || !uidPattern.test(uid)) return undefined;
  return { kind, uid };
}

/** One try at creating an object: its partials are named after it. */
export interface Attempt {
  id: string;
  startedAt: Date;
}

export function newAttempt(now: Date = new Date()): Attempt {
  // Time first, so that names sort by age; the random part tells apart two attempts of one ms.
  return {
    id: `${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`,
    startedAt: now,
  };
}

const partialMarker = '.partial-';

export function partialName(name: string, attempt: Attempt): string {
  return `${name}${partialMarker}${attempt.id}`;
}

export function parsePartialName(
  name: string,
): { base: string; attemptId: string; startedAt: Date } | undefined {
  const at = name.lastIndexOf(partialMarker);
  if (at <= 0) return undefined;
  const attemptId = name.slice(at + partialMarker.length);
  const match = /^([0-9a-z]+)-[0-9a-f]+$/.exec(attemptId);
  if (!match?.[1]) return undefined;
  const ms = parseInt(match[1], 36);
  if (!Number.isSafeInteger(ms)) return undefined;
  return { base: name.slice(0, at), attemptId, startedAt: new Date(ms) };
}

const quarantinePattern = /^q-([0-9a-z]+)-(.+)$/;

export function quarantineName(name: string, now: Date = new Date()): string {
  return `q-${now.getTime().toString(36)}-${name}`;
}

export function parseQuarantineName(name: string): { base: string; at: Date } | undefined {
  const match = quarantinePattern.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return { base: match[2], at: new Date(parseInt(match[1], 36)) };
}
