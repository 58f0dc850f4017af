#!/usr/bin/env node
// kcloud metering — what each tenant used, per day, week or month: the sums of the usage
// records (CDR files) the metering operator wrote, each record once.
//
//   node operators/platform/metering/cli.ts --dir <metering dir> [--by day|week|month]
//       [--tenant T] [-o table|json] [--kubeconfig <file>]
//
// With --tenant, the tenant's sub-tenants are summed into it (the Tenants are read through
// the API: --kubeconfig, else $KUBECONFIG).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiClient, loadKubeConfig, ObjectClient } from '../../../controllers/kube/index.ts';
import { Tenant, type TenantObject } from '../api/index.ts';
import { subtree } from '../audit/index.ts';
import { readRecords } from './cdr-files.ts';
import { rollUp, rollupTable, type Rollup } from './rollup.ts';
import { runCommand, writeOut } from '../../../controllers/cli/index.ts';

const usage =
  'usage: node operators/platform/metering/cli.ts --dir <metering dir> [--by day|week|month] [--tenant <name>] [-o table|json] [--kubeconfig <file>]';

async function tenantSubtree(tenant: string, kubeconfig: string | undefined) {
  const api = new ApiClient(loadKubeConfig(kubeconfig));
  try {
    const all = (await new ObjectClient<TenantObject>(api, Tenant.resource).list()).items;
    if (!all.some((t) => t.metadata.name === tenant)) throw new Error(`no Tenant ${tenant}`);
    return subtree(tenant, all);
  } finally {
    await api.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      by: { type: 'string', default: 'day' },
      tenant: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'table' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(usage);
    return 0;
  }
  if (
    values.dir === undefined ||
    !['day', 'week', 'month'].includes(values.by) ||
    !['table', 'json'].includes(values.output)
  ) {
    console.error(usage);
    return 2;
  }
  const scope =
    values.tenant === undefined
      ? undefined
      : { tenants: await tenantSubtree(values.tenant, values.kubeconfig), as: values.tenant };
  if (!existsSync(values.dir)) {
    console.error(`no records yet: ${values.dir} does not exist (the operator's --metering-dir)`);
  }
  const rows = rollUp(await readRecords(values.dir), {
    by: values.by as Rollup,
    ...(scope ? { scope } : {}),
  });
  const text =
    values.output === 'json'
      ? rows.map((r) => JSON.stringify(r) + '\n').join('')
      : rollupTable(rows) + '\n';
  await writeOut(text);
  return 0;
}

runCommand(main);
