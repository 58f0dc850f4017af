// Bad objects are rejected by the API server itself, with its own messages: structural schema
// bounds, required fields, CEL rules and a CEL transition rule for an immutable field.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';
import { installWidgetCrd, widget, widgetGroup, type Widget } from './widgets.ts';

const cluster = useTestCluster('smoke-valid');

beforeAll(async () => {
  await installWidgetCrd(cluster);
});

describe('validation by the API server', () => {
  it('rejects a value outside the schema bounds', async () => {
    const r = await rejection(
      cluster.objects.create(widget('too-big', cluster.namespace, { size: 1000 })),
    );
    expect(r.code).toBe(422);
    expect(r.message).toBe(
      `Widget.${widgetGroup} "too-big" is invalid: spec.size: Invalid value: 1000: ` +
        'spec.size in body should be less than or equal to 100',
    );
  });

  it('rejects a missing required field', async () => {
    const bad = widget('no-zone', cluster.namespace) as unknown as {
      spec: Record<string, unknown>;
    };
    delete bad.spec.zone;
    const r = await rejection(cluster.objects.create(bad as unknown as Widget));
    expect(r.code).toBe(422);
    // The API server skips the CEL rules of an object that already fails the schema, and says so.
    expect(r.message).toBe(
      `Widget.${widgetGroup} "no-zone" is invalid: [spec.zone: Required value, <nil>: Invalid value: ` +
        'null: some validation rules were not checked because the object was invalid; ' +
        'correct the existing errors to complete validation]',
    );
  });

  it('rejects an object that breaks a CEL rule, with the rule message', async () => {
    const r = await rejection(
      cluster.objects.create(
        widget('inverted', cluster.namespace, { minReplicas: 5, maxReplicas: 2 }),
      ),
    );
    expect(r.code).toBe(422);
    expect(r.message).toBe(
      `Widget.${widgetGroup} "inverted" is invalid: spec: Invalid value: ` +
        'minReplicas must not exceed maxReplicas',
    );
  });

  it('enforces an immutable field through a CEL transition rule', async () => {
    const created = await cluster.objects.create(widget('pinned', cluster.namespace));
    const r = await rejection(
      cluster.objects.replace({ ...created, spec: { ...created.spec, zone: 'zone-b' } }),
    );
    expect(r.code).toBe(422);
    expect(r.message).toBe(
      `Widget.${widgetGroup} "pinned" is invalid: spec.zone: Invalid value: "zone-b": zone is immutable`,
    );
    // A change to another field still goes through.
    const ok = await cluster.objects.replace({ ...created, spec: { ...created.spec, size: 9 } });
    expect(ok.spec.size).toBe(9);
  });

  it('validates in server-side dry run without storing anything', async () => {
    const r = await rejection(
      cluster.objects.create(widget('dry', cluster.namespace, { size: 0 }), undefined, 'All'),
    );
    expect(r.message).toContain('spec.size in body should be greater than or equal to 1');
    const good = await cluster.objects.create(
      widget('dry-ok', cluster.namespace),
      undefined,
      'All',
    );
    expect(good.metadata.uid).toBeDefined();
    const listed = await cluster.kubectl(['get', 'widgets', 'dry-ok', '-n', cluster.namespace]);
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain('NotFound');
  });
});
