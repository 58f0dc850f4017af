import { ReconcileError } from '../../../../controllers/external/index.ts';
import { TransactionError } from '../../../../controllers/ovsdb/index.ts';
import type { NbOvsdb } from './columns.ts';

/** The reason an object reports when the northbound database refused what kcloud wrote. */
export const refusedReason = 'OVNRefused';

/**
 * The client, its transactions' refusals turned into the object's reason: a write the
 * northbound database rolls back (a constraint it enforces, a value its schema does not take)
 * is reported as `Ready=False, reason=OVNRefused` naming the operation and OVN's own words,
 * not as an anonymous reconcile error. Everything else about the client is unchanged.
 */
export function reportRefusals(c: NbOvsdb): NbOvsdb {
  const transact: NbOvsdb['transact'] = async (ops) => {
    try {
      return await c.transact(ops);
    } catch (err) {
      if (!(err instanceof TransactionError)) throw err;
      throw new ReconcileError(refusedReason, `OVN refused the change: ${err.message}`, {
        cause: err,
      });
    }
  };
  return new Proxy(c, {
    get(target, prop) {
      if (prop === 'transact') return transact;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
