#!/usr/bin/env node
// kcloud audit — who did what to the cloud's resources, when, and whether it was allowed:
// the API server's audit log (written with kcloud's audit policy), for one tenant or all.
//
//   node operators/platform/audit/cli.ts --log <audit.log> [--tenant T] [--since 24h]
//       [--until <time>] [--user U] [--writes] [-o table|json] [--kubeconfig <file>]
import { parseArgs } from 'node:util';
import { ApiClient, loadKubeConfig } from '../../../controllers/kube/index.ts';
import { readAuditView } from './audit-view.ts';
import { inScope, tenantScope } from './scope.ts';
import { table, timeBound } from './view.ts';
import { runCommand, writeOut } from '../../../controllers/cli/index.ts';

const usage =
  'usage: node operators/platform/audit/cli.ts --log <audit.log> [--tenant <name>] [--since 24h|<RFC 3339>] [--until <…>] [--user <name>] [--writes] [-o table|json] [--kubeconfig <file>]';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      log: { type: 'string' },
      tenant: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      user: { type: 'string' },
      writes: { type: 'boolean' },
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
  if (values.log === undefined || !['table', 'json'].includes(values.output)) {
    console.error(usage);
    return 2;
  }
  const now = new Date();
  const scope =
    values.tenant === undefined
      ? undefined
      : await tenantScope(new ApiClient(loadKubeConfig(values.kubeconfig)), values.tenant);
  const view = await readAuditView(values.log, {
    ...(values.since !== undefined ? { since: timeBound('--since', values.since, now) } : {}),
    ...(values.until !== undefined ? { until: timeBound('--until', values.until, now) } : {}),
    ...(values.user !== undefined ? { user: values.user } : {}),
    writesOnly: values.writes === true,
    ...(scope ? { inScope: (r) => inScope(r, scope) } : {}),
  });
  const text =
    values.output === 'json'
      ? view.records.map((r) => JSON.stringify(r) + '\n').join('')
      : table(view.records) + '\n';
  await writeOut(text);
  if (view.skipped > 0) console.error(`${view.skipped} lines of the log were not audit events`);
  return 0;
}

runCommand(main);
