import { describe, expect, it } from '@jest/globals';
import { isStorageError } from './errors.ts';
import {
  checkUid,
  newAttempt,
  objectName,
  parseObjectName,
  parsePartialName,
  parseQuarantineName,
  partialName,
  quarantineName,
} from './naming.ts';

const uid = '0f8e2c1a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('backend names', () => {
  it('names each kind by its owner UID and reads the name back', () => {
    expect(objectName('Volume', uid)).toBe(`vol-${uid}`);
    expect(objectName('VolumeSnapshot', uid)).toBe(`snap-${uid}`);
    expect(objectName('Image', uid)).toBe(`img-${uid}`);
    expect(parseObjectName(`img-${uid}`)).toEqual({ kind: 'Image', uid });
    expect(parseObjectName(`disk-${uid}`)).toBeUndefined();
    expect(parseObjectName('vol-')).toBeUndefined();
  });

  it.each(['../etc', 'a/b', 'A-UPPER', 'x:y', '-lead', 'trail-', '', 'a b', 'a,b'])(
    'refuses %j as a UID: it could carry path or option syntax',
    (bad) => {
      let thrown: unknown;
      try {
        checkUid(bad);
      } catch (err) {
        thrown = err;
      }
      expect(isStorageError(thrown, 'InvalidRequest')).toBe(true);
    },
  );

  it('names partials after their attempt, which tells when it started', () => {
    const started = new Date('2026-12-05T09:00:00.123Z');
    const attempt = newAttempt(started);
    const name = partialName(`vol-${uid}.qcow2`, attempt);
    expect(name).toMatch(new RegExp(`^vol-${uid}\\.qcow2\\.partial-[0-9a-z]+-[0-9a-f]{6}$`));
    expect(parsePartialName(name)).toEqual({
      base: `vol-${uid}.qcow2`,
      attemptId: attempt.id,
      startedAt: started,
    });
    expect(parsePartialName(`vol-${uid}.qcow2`)).toBeUndefined();
    expect(newAttempt(started).id).not.toBe(attempt.id);
  });

  it('names quarantined objects with the time they were moved aside', () => {
    const at = new Date('2026-12-05T10:00:00Z');
    const name = quarantineName(`vol-${uid}`, at);
    expect(name.startsWith('q-')).toBe(true);
    expect(parseQuarantineName(name)).toEqual({ base: `vol-${uid}`, at });
    expect(parseQuarantineName(`vol-${uid}`)).toBeUndefined();
  });
});
