// A write the northbound database refuses becomes the object's own reason, OVNRefused with
// OVN's words, instead of an anonymous reconcile error; and a rule named like the group's
// built-in ACL is a row of its own next to it, against a real ovsdb-server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReconcileError } from '../../../controllers/external/index.ts';
import { names, securityGroupACLs } from '../../../operators/vpc/ovn/index.ts';
import { refusedReason } from '../../../operators/vpc/ovn/nb/index.ts';
import { startNb, type NbFixture } from './nb-fixture.ts';

const web = { kind: 'SecurityGroup', namespace: 'ns', name: 'web', uid: 'sg-web' };
const pg = names.portGroup(web.uid);

let f: NbFixture;

beforeAll(async () => {
  f = await startNb('nb-refusals');
  await f.nb.ensurePortGroup(pg, {}, []);
});

afterAll(async () => {
  await f.close();
});

describe('northbound refusals and built-in rows', () => {
  it('reports a refused write as OVNRefused, naming what OVN refused', async () => {
    // The ACL name column holds at most 63 characters: ovsdb-server rolls the write back.
    const [builtin] = securityGroupACLs(web, [], () => undefined);
    if (!builtin) throw new Error('no built-in ACL');
    const err: unknown = await f.nb
      .ensurePortGroupACLs(pg, [{ ...builtin, name: 'x'.repeat(64) }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ReconcileError);
    expect((err as ReconcileError).reason).toBe(refusedReason);
    expect((err as ReconcileError).message).toMatch(/^OVN refused the change: transaction failed/);
    expect((err as ReconcileError).message).toContain('constraint violation');
  });

  it('keeps a rule named same-group beside the built-in same-group ACL, then writes nothing', async () => {
    const acls = securityGroupACLs(
      web,
      [{ name: 'same-group', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: '10.0.0.0/8' }],
      () => undefined,
    );
    expect(await f.nb.ensurePortGroupACLs(pg, acls)).toBe(true);
    const rows = (
      await f.server.nbctl('--bare', '--columns=match', 'find', 'ACL', 'name=same-group')
    )
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(rows).toEqual([
      `outport == @${pg} && ip4 && ip4.src == $${pg}_ip4`,
      `outport == @${pg} && ip4 && ip4.src == 10.0.0.0/8 && icmp4`,
    ]);
    const before = f.transactions();
    expect(await f.nb.ensurePortGroupACLs(pg, acls)).toBe(false);
    expect(f.transactions()).toBe(before);
  });
});
