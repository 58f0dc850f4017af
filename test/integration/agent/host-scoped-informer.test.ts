// The agent's caches hold only what is bound to its hosts: a Manager informer in a host scope,
// on the real API server, lists and watches only the objects with the binding label of its host
// (or of any of its simulated hosts: named in the selector when few, kept on the client when too
// many to name), and sees an object arrive and leave as the label is set and changed. One
// informer per scope, shared by whoever asks for it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hostScope, maxNamedHosts } from '../../../agent/host/names.ts';
import type { Informer } from '../../../controllers/index.ts';
import { Note, noteResource, type NoteObject } from '../../../operators/example/index.ts';
import { startManager, useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';

const cluster = useTestCluster('agent-informer');
let manager: RunningManager;
let one: Informer<NoteObject>;
let three: Informer<NoteObject>;
let many: Informer<NoteObject>;
// a, b and more hosts than a selector names: the server sends every bound Note, the client keeps these.
const manyHosts = ['a', 'b', ...Array.from({ length: maxNamedHosts }, (_, i) => `m${String(i)}`)];
let ns = '';

const names = (i: Informer<NoteObject>) =>
  i.cache
    .list()
    .map((n) => n.metadata.name ?? '')
    .sort();

function note(name: string, host?: string): string {
  return `apiVersion: ${Note.apiVersion}
kind: Note
metadata:
  name: ${name}
  namespace: ${ns}
${host ? `  labels: {ecs.kcloud.io/host: ${host}}\n` : ''}spec: {text: ${name}}
`;
}

beforeAll(async () => {
  ns = cluster.namespace;
  await cluster.apply(
    [note('on-a', 'a'), note('on-b', 'b'), note('on-z', 'z'), note('unbound')].join('---\n'),
  );
  manager = await startManager(
    (mgr) => {
      one = mgr.informer<NoteObject>(noteResource, hostScope(['a']));
      three = mgr.informer<NoteObject>(noteResource, hostScope(['a', 'b', 'c']));
      many = mgr.informer<NoteObject>(noteResource, hostScope(manyHosts));
      // A manager with nothing to run stops at once: this keeps it (and its informers) going.
      mgr.addRunnable({
        name: 'hold',
        run: (signal) =>
          new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              resolve();
            });
          }),
      });
      // Asked for again with the same scope: the same informer; another host set, another one.
      expect(mgr.informer<NoteObject>(noteResource, hostScope(['a']))).toBe(one);
      expect(mgr.informer<NoteObject>(noteResource, hostScope(manyHosts))).toBe(many);
      expect(
        mgr.informer<NoteObject>(noteResource, hostScope(['z', ...manyHosts.slice(1)])),
      ).not.toBe(many);
    },
    { namespace: ns },
  );
});

afterAll(async () => {
  await manager.stop();
});

describe('a host-scoped informer', () => {
  it('caches only the objects bound to its hosts', () => {
    expect(names(one)).toEqual(['on-a']);
    expect(names(three)).toEqual(['on-a', 'on-b']);
    expect(names(many)).toEqual(['on-a', 'on-b']);
  });

  it('sees an object arrive when it is bound to its host, and leave when bound elsewhere', async () => {
    const bound = await cluster.kubectl([
      'label',
      'notes.example.kcloud.io',
      'unbound',
      '-n',
      ns,
      'ecs.kcloud.io/host=a',
    ]);
    expect(bound.stderr).toBe('');
    await waitFor(() => names(one).includes('unbound') && names(many).includes('unbound'), {
      what: 'the newly bound Note in the caches of host a',
    });
    const moved = await cluster.kubectl([
      'label',
      'notes.example.kcloud.io',
      'unbound',
      '-n',
      ns,
      'ecs.kcloud.io/host=z',
      '--overwrite',
    ]);
    expect(moved.stderr).toBe('');
    await waitFor(() => !names(one).includes('unbound') && !names(many).includes('unbound'), {
      what: 'the Note bound elsewhere to leave the caches of host a',
    });
    expect(names(one)).toEqual(['on-a']);
    expect(names(three)).toEqual(['on-a', 'on-b']);
    expect(names(many)).toEqual(['on-a', 'on-b']);
  });
});
