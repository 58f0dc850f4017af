import { reconcilerRules, type Manager, type PolicyRule } from '../../controllers/manager/index.ts';
import type { TlsFiles } from '../../controllers/ovsdb/index.ts';
import { addNoteController, Note } from '../example/index.ts';
import { addVpcOperator, vpcRbac } from '../vpc/index.ts';

export interface OperatorConfig {
  /** The example operator's file root. */
  notesDir: string;
  /** OVN northbound endpoints for the operators that program OVN. */
  ovnNb: string[];
  /** The client certificate, key and CA for `ssl:` northbound endpoints. */
  ovnNbTls?: TlsFiles;
  /** How often controllers re-check their backends (drift repair) and orphans are swept. */
  resyncPeriodMs?: number;
}

export interface Operator {
  name: string;
  /** Hosted only when named in --operators, never by "all". */
  testOnly?: boolean;
  /** The RBAC rules the operator needs, beyond the manager's own (docs/rbac.md lists them). */
  rbac: PolicyRule[];
  register(mgr: Manager, config: OperatorConfig): void;
}

/** The product operators this manager can host; each product adds itself here. */
export const operators: readonly Operator[] = [
  {
    name: 'vpc',
    rbac: vpcRbac,
    register: (mgr, config) => {
      addVpcOperator(mgr, {
        nbEndpoints: config.ovnNb,
        ...(config.ovnNbTls ? { nbTls: config.ovnNbTls } : {}),
        ...(config.resyncPeriodMs !== undefined ? { resyncPeriodMs: config.resyncPeriodMs } : {}),
      });
    },
  },
  {
    name: 'example',
    testOnly: true,
    rbac: reconcilerRules(Note.group, [Note.plural]),
    register: (mgr, config) => {
      addNoteController(mgr, { notesDir: config.notesDir });
    },
  },
];

export const operatorNames: readonly string[] = operators.map((o) => o.name);

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
