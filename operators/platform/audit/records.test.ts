import { describe, expect, it } from '@jest/globals';
import { AuditRecords } from './records.ts';

const event = (over: Record<string, unknown>) =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'a1',
    stage: 'ResponseComplete',
    verb: 'create',
    user: { username: 'kcloud-admin', groups: ['system:masters'] },
    objectRef: { resource: 'vpcs', namespace: 'p1', name: 'main', apiGroup: 'vpc.kcloud.io' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2026-12-06T01:02:03.123456Z',
    stageTimestamp: '2026-12-06T01:02:03.200000Z',
    ...over,
  });

describe('AuditRecords', () => {
  it('says who, what, when and the result', () => {
    expect(new AuditRecords().parse(event({}))).toEqual({
      time: '2026-12-06T01:02:03.123456Z',
      user: 'kcloud-admin',
      verb: 'create',
      resource: 'vpcs.vpc.kcloud.io',
      namespace: 'p1',
      name: 'main',
      code: 201,
      result: 'Allowed',
      auditID: 'a1',
    });
  });

  it('names the impersonated user, and who acted for them', () => {
    const r = new AuditRecords().parse(event({ impersonatedUser: { username: 'alice' } }));
    expect(r?.user).toBe('alice');
    expect(r?.via).toBe('kcloud-admin');
  });

  it("gives a refusal's reason, and core resources and subresources as kubectl names them", () => {
    const r = new AuditRecords().parse(
      event({
        objectRef: { resource: 'secrets', namespace: 'p1', name: 's', subresource: 'status' },
        responseStatus: { code: 403, reason: 'Forbidden', status: 'Failure' },
      }),
    );
    expect(r?.resource).toBe('secrets/status');
    expect(r?.result).toBe('Forbidden');
    expect(r?.code).toBe(403);
  });

  it('keeps one record per request (a watch is logged when it starts and when it ends)', () => {
    const parser = new AuditRecords();
    const started = parser.parse(event({ stage: 'ResponseStarted', verb: 'watch', auditID: 'w' }));
    const ended = parser.parse(event({ stage: 'ResponseComplete', verb: 'watch', auditID: 'w' }));
    expect(started?.verb).toBe('watch');
    expect(ended).toBeUndefined();
    expect(parser.parse(event({ stage: 'RequestReceived', auditID: 'r' }))).toBeUndefined();
  });

  it('counts a line cut short instead of failing', () => {
    const parser = new AuditRecords();
    expect(parser.parse('{"kind":"Event","auditID":"x","sta')).toBeUndefined();
    expect(parser.skipped).toBe(1);
  });
});
