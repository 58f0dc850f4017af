// The CRD the generator writes from a TypeScript definition works on a real API server: kubectl
// explain teaches its fields, the server applies its defaults and CEL rules, kubectl prints its
// columns and category, and the unit-test validator decides like the server does.
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { Note, type NoteObject } from '../../../operators/example/api/index.ts';
import {
  applyCrds,
  readYamlFile,
  rejection,
  statusCode,
  useTestCluster,
  waitFor,
} from '../../harness/index.ts';

const cluster = useTestCluster('api-crd');
const crdFile = path.join(repoRoot, 'test/crds/example.kcloud.io_notes.yaml');

beforeAll(async () => {
  const docs = await readYamlFile(crdFile);
  expect(docs.map((d) => `${d.kind ?? ''}/${d.metadata.name ?? ''}`)).toEqual([
    'CustomResourceDefinition/notes.example.kcloud.io',
  ]);
  await applyCrds(cluster.kubeconfigPath, docs);
});

// Deliberately loose: the tests send invalid Notes too.
interface NoteLike {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

function note(name: string, spec: Record<string, unknown>): NoteLike {
  return {
    apiVersion: Note.apiVersion,
    kind: Note.kind,
    metadata: { name, namespace: cluster.namespace },
    spec,
  };
}

const api = () => ({
  group: Note.resource.group,
  version: Note.resource.version,
  plural: Note.resource.plural,
  namespace: cluster.namespace,
});

// The server's decision on an object, in a dry run with strict field validation (kubectl's
// default), so that nothing is stored. Accepted: true; rejected as invalid: false.
async function serverAccepts(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (err) {
    const code = statusCode(err);
    if (code === 400 || code === 422) return false;
    throw err;
  }
}

describe('the generated Note CRD on a real API server', () => {
  it('teaches its fields through kubectl explain', async () => {
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    let last = '';
    const text = await waitFor(
      async () => {
        const out = await cluster.kubectl(['explain', 'notes.spec.text']);
        last = out.stderr;
        return out.code === 0 ? out : undefined;
      },
      { timeoutMs: 30_000, what: 'kubectl explain notes.spec.text', describe: () => last },
    );
    expect(text.stdout).toMatch(/FIELD:\s+text <string>/);
    expect(text.stdout).toContain('The text to write to the file, up to 64 KiB.');
    const kind = await cluster.kubectl(['explain', 'notes']);
    expect(kind.stdout).toContain('Note is a piece of text that its controller writes to a file.');
  });

  it('defaults deletionPolicy to Delete', async () => {
    const [stored] = await cluster.apply(`
apiVersion: example.kcloud.io/v1alpha1
kind: Note
metadata: { name: defaulted }
spec: { text: hello }`);
    const served = (stored as { spec?: unknown }).spec;
    expect(served).toEqual({ text: 'hello', deletionPolicy: 'Delete' });
    const local: NoteObject = {
      apiVersion: Note.apiVersion,
      kind: Note.kind,
      metadata: { name: 'defaulted' },
      spec: { text: 'hello' },
    };
    expect(Note.withDefaults(local).spec).toEqual(served);
  });

  it('rejects a fileName ending in .tmp with the CEL rule message', async () => {
    const r = await rejection(
      cluster.objects.create(note('draft', { text: 'x', fileName: 'draft.tmp' })),
    );
    expect(r.code).toBe(422);
    expect(r.message).toBe(
      'Note.example.kcloud.io "draft" is invalid: spec: Invalid value: fileName must not end in .tmp',
    );
  });

  it('keeps fileName as it was created: no change, no removal, no addition', async () => {
    const named = await cluster.objects.create(note('named', { text: 'x', fileName: 'a.txt' }));
    const changed = await rejection(
      cluster.objects.replace({ ...named, spec: { ...named.spec, fileName: 'b.txt' } }),
    );
    expect(changed.code).toBe(422);
    expect(changed.message).toBe(
      'Note.example.kcloud.io "named" is invalid: spec.fileName: Invalid value: "b.txt": fileName is immutable',
    );
    const removed = await rejection(cluster.objects.replace({ ...named, spec: { text: 'x' } }));
    expect(removed.message).toContain('fileName is immutable');

    const unnamed = await cluster.objects.create(note('unnamed', { text: 'x' }));
    const added = await rejection(
      cluster.objects.replace({ ...unnamed, spec: { ...unnamed.spec, fileName: 'c.txt' } }),
    );
    expect(added.message).toContain('fileName is immutable');

    const edited = await cluster.objects.replace({ ...named, spec: { ...named.spec, text: 'y' } });
    expect(edited.spec).toEqual({ text: 'y', fileName: 'a.txt', deletionPolicy: 'Delete' });
  });

  it('prints its columns in kubectl get, and is listed in the kcloud category', async () => {
    const created = await cluster.objects.create(note('shown', { text: 'hello' }));
    await cluster.custom.replaceNamespacedCustomObjectStatus({
      ...api(),
      name: 'shown',
      body: {
        ...created,
        status: {
          phase: 'Ready',
          path: '/notes/shown.txt',
          size: 5,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Written',
              message: 'the file is written',
              lastTransitionTime: '2025-01-02T03:04:05Z',
            },
          ],
        },
      },
    });
    for (const resource of ['notes', 'note']) {
      const out = await cluster.kubectl(['get', resource, 'shown', '-n', cluster.namespace]);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^NAME\s+FILE\s+SIZE\s+PHASE\s+READY\s+AGE\n/);
      expect(out.stdout).toMatch(/\nshown\s+\/notes\/shown\.txt\s+5\s+Ready\s+True\s+\S+\n/);
    }
    const all = await cluster.kubectl(['get', 'kcloud', '-n', cluster.namespace]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/(^|\n)(note\.example\.kcloud\.io\/)?shown\s/);
  });
});

describe('the ajv validator and the API server', () => {
  const specCases: { name: string; valid: boolean; spec: Record<string, unknown> }[] = [
    { name: 'minimal', valid: true, spec: { text: 'hi' } },
    {
      name: 'every field',
      valid: true,
      spec: { text: 'hi', fileName: 'a.txt', deletionPolicy: 'Retain' },
    },
    { name: 'empty text', valid: true, spec: { text: '' } },
    { name: 'text at the limit', valid: true, spec: { text: 'x'.repeat(65536) } },
    { name: 'null fileName, dropped', valid: true, spec: { text: 'hi', fileName: null } },
    { name: 'text over the limit', valid: false, spec: { text: 'x'.repeat(65537) } },
    { name: 'no text', valid: false, spec: { fileName: 'a.txt' } },
    { name: 'text not a string', valid: false, spec: { text: 5 } },
    { name: 'upper-case fileName', valid: false, spec: { text: 'hi', fileName: 'A.txt' } },
    { name: 'fileName too long', valid: false, spec: { text: 'hi', fileName: 'a'.repeat(64) } },
    { name: 'unknown policy', valid: false, spec: { text: 'hi', deletionPolicy: 'Keep' } },
    { name: 'undeclared field', valid: false, spec: { text: 'hi', colour: 'red' } },
  ];

  it('decide alike on specs', async () => {
    const decisions = [];
    for (const [i, c] of specCases.entries()) {
      const obj = note(`spec-case-${i}`, c.spec);
      decisions.push({
        name: c.name,
        ajv: Note.validate(obj).ok,
        server: await serverAccepts(
          cluster.custom.createNamespacedCustomObject({
            ...api(),
            body: obj,
            dryRun: 'All',
            fieldValidation: 'Strict',
          }),
        ),
      });
    }
    expect(decisions).toEqual(
      specCases.map((c) => ({ name: c.name, ajv: c.valid, server: c.valid })),
    );
  });

  const ready = {
    type: 'Ready',
    status: 'True',
    reason: 'Written',
    message: '',
    lastTransitionTime: '2025-01-02T03:04:05Z',
  };
  const statusCases: { name: string; valid: boolean; status: Record<string, unknown> }[] = [
    { name: 'empty', valid: true, status: {} },
    {
      name: 'complete',
      valid: true,
      status: {
        phase: 'Ready',
        observedGeneration: 1,
        path: '/notes/n.txt',
        size: 2 ** 40,
        checksum: 'a'.repeat(64),
        conditions: [ready, { ...ready, type: 'Written', observedGeneration: 1 }],
      },
    },
    { name: 'negative size', valid: false, status: { size: -1 } },
    { name: 'short checksum', valid: false, status: { checksum: 'abc' } },
    { name: 'unknown phase', valid: false, status: { phase: 'Done' } },
    {
      name: 'bad transition time',
      valid: false,
      status: { conditions: [{ ...ready, lastTransitionTime: 'yesterday' }] },
    },
    { name: 'two Ready conditions', valid: false, status: { conditions: [ready, ready] } },
    {
      name: 'condition without reason',
      valid: false,
      status: { conditions: [{ ...ready, reason: undefined }] },
    },
  ];

  it('decide alike on statuses', async () => {
    const stored = await cluster.objects.create(note('status-cases', { text: 'hi' }));
    const decisions = [];
    for (const c of statusCases) {
      const obj = {
        ...stored,
        status: JSON.parse(JSON.stringify(c.status)) as NoteObject['status'],
      };
      decisions.push({
        name: c.name,
        ajv: Note.validate(obj).ok,
        server: await serverAccepts(
          cluster.custom.replaceNamespacedCustomObjectStatus({
            ...api(),
            name: 'status-cases',
            body: obj,
            dryRun: 'All',
            fieldValidation: 'Strict',
          }),
        ),
      });
    }
    expect(decisions).toEqual(
      statusCases.map((c) => ({ name: c.name, ajv: c.valid, server: c.valid })),
    );
  });
});
