import type { ACL } from '../../../controllers/ovsdb/nb/tables.ts';
import type { DesiredACL } from '../ovn/index.ts';
import { sameValue } from '../ovn/nb/index.ts';

/** Whether a port group's ACLs are exactly the desired ones (in any order). */
export function sameACLs(have: readonly ACL[], want: readonly DesiredACL[]): boolean {
  return (
    have.length === want.length &&
    want.every((w) =>
      have.some(
        (h) =>
          h.name === w.name &&
          h.direction === w.direction &&
          h.match === w.match &&
          h.action === w.action &&
          h.priority === w.priority &&
          sameValue(h.external_ids, w.external_ids),
      ),
    )
  );
}
