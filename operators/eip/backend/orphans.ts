// Rows whose owner is gone. Finalizers remove an EIP's and a pool's rows before the object
// goes, but rows can outlive their owner (an object force-deleted, its finalizer removed by
// hand): the shared orphan sweep (controllers/orphans) decides when an owner is gone, and its
// rows are removed the way its own delete would, so its address is free again.
import type { BackendObject } from '../../../controllers/orphans/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { EIPPoolObject } from '../api/index.ts';
import type { EipNb } from '../ovn/eip-nb.ts';
import { eipKeys } from '../ovn/names.ts';
import { unbindEip, type GatewayDeps } from './eip-backend.ts';

export interface EipRows extends BackendObject {
  /** The pool an EIP's NAT rows give addresses of. */
  poolUid?: string;
}

/** Every owner the EIP product's rows name, once each: EIPs (NAT rows) and pools (switches). */
export function ownersOfRows(nb: EipNb): EipRows[] {
  const found = new Map<string, EipRows>();
  for (const nat of nb.ovsdb.replica.table('NAT').rows()) {
    const ids = nat.external_ids;
    const uid = ids[eipKeys.uid];
    if (ids[eipKeys.kind] !== 'EIP' || !uid || found.has(uid)) continue;
    found.set(uid, {
      id: `NAT of EIP ${uid}`,
      kind: 'EIP',
      owner: { namespace: ids[eipKeys.namespace] ?? '', name: ids[eipKeys.name] ?? '', uid },
      ...(ids[eipKeys.pool] ? { poolUid: ids[eipKeys.pool] } : {}),
    });
  }
  for (const sw of nb.ovsdb.replica.table('Logical_Switch').rows()) {
    const ids = sw.external_ids;
    const uid = ids[eipKeys.uid];
    if (ids[eipKeys.kind] !== 'EIPPool' || !uid || found.has(uid)) continue;
    found.set(uid, {
      id: `switch of EIPPool ${uid}`,
      kind: 'EIPPool',
      owner: { name: ids[eipKeys.name] ?? '', uid },
    });
  }
  return [...found.values()];
}

/** Removes an orphan's rows and frees what they held. */
export async function removeRowsOf(
  deps: GatewayDeps,
  pools: Cache<EIPPoolObject>,
  rows: EipRows,
): Promise<void> {
  if (rows.kind === 'EIPPool') {
    await deps.nb.deletePoolNetwork(rows.owner.uid);
    deps.registry.forget(rows.owner.uid);
    return;
  }
  const pool = pools.list().find((p) => p.metadata.uid === rows.poolUid);
  await unbindEip(deps, rows.owner.uid, pool);
  if (pool) deps.registry.pool(pool).release(rows.owner.uid);
}
