import type { Operator } from '../../controllers/manager/index.ts';
import { ecsOperator } from '../ecs/index.ts';
import { eipOperator } from '../eip/index.ts';
import { evsOperator } from '../evs/index.ts';
import { exampleOperator } from '../example/index.ts';
import { meteringOperator } from '../platform/metering/index.ts';
import { tenantAccessOperator } from '../platform/access/index.ts';
import { platformOperator } from '../platform/index.ts';
import { slbOperator } from '../slb/index.ts';
import { vpcOperator } from '../vpc/index.ts';

/**
 * The product operators this manager can host; each product adds itself here with one line
 * and brings its own flags, settings and RBAC (controllers/manager/operator.ts).
 */
export const operators: readonly Operator[] = [
  vpcOperator,
  eipOperator,
  slbOperator,
  ecsOperator,
  evsOperator,
  platformOperator,
  tenantAccessOperator,
  meteringOperator,
  exampleOperator,
];

export const operatorNames: readonly string[] = operators.map((o) => o.name);

/** The product operators whose finalizer the API server puts on at create (controllers/admission). */
export const createFinalizerOperators = operators.flatMap((o) =>
  o.createFinalizer && !o.testOnly ? [{ name: o.name, createFinalizer: o.createFinalizer }] : [],
);

/** `--operators`: "all" (every product operator) or a comma-separated list of names. */
export function selectOperators(flag: string | undefined): Operator[] {
  if (flag === undefined || flag === 'all') return operators.filter((o) => !o.testOnly);
  const wanted = flag
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !operatorNames.includes(w));
  if (unknown.length > 0) {
    throw new Error(
      `--operators: unknown operator(s) ${unknown.join(', ')} (known: ${operatorNames.join(', ')})`,
    );
  }
  return operators.filter((o) => wanted.includes(o.name));
}
