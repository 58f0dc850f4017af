import { describe, expect, it } from '@jest/globals';
import { ctlCommand, run } from './ctl.ts';
import { ovnLayout } from './layout.ts';
import type { ToolResolver } from './tools.ts';

const layout = ovnLayout('/runs/ovn-1');
const tool: ToolResolver = (name) => ({ file: `/usr/bin/${name}`, args: [] });

describe('ctl commands against one instance', () => {
  it('addresses each database by its socket in the run folder, with a timeout', () => {
    const nb = ctlCommand(layout, 'nbctl', ['ls-add', 'sw0'], {}, tool);
    expect(nb.file).toBe('/usr/bin/ovn-nbctl');
    expect(nb.args).toEqual([
      '--db=unix:/runs/ovn-1/ovnnb_db.sock',
      '--timeout=10',
      'ls-add',
      'sw0',
    ]);
    const sb = ctlCommand(layout, 'sbctl', ['show'], { timeoutSeconds: 3 }, tool);
    expect(sb.file).toBe('/usr/bin/ovn-sbctl');
    expect(sb.args).toEqual(['--db=unix:/runs/ovn-1/ovnsb_db.sock', '--timeout=3', 'show']);
    const vs = ctlCommand(layout, 'vsctl', ['show'], {}, tool);
    expect(vs.file).toBe('/usr/bin/ovs-vsctl');
    expect(vs.args).toEqual(['--db=unix:/runs/ovn-1/ovs/db.sock', '--timeout=10', 'show']);
  });

  it('connects over another remote when told', () => {
    const nb = ctlCommand(layout, 'nbctl', ['show'], { db: 'tcp:127.0.0.1:16641' }, tool);
    expect(nb.args).toEqual(['--db=tcp:127.0.0.1:16641', '--timeout=10', 'show']);
  });

  it('traces against the southbound database and bounds a trace that hangs', () => {
    const t = ctlCommand(layout, 'trace', ['sw0', 'inport == "lsp1"'], { timeoutSeconds: 4 }, tool);
    expect(t.file).toBe('/usr/bin/ovn-trace');
    expect(t.args).toEqual(['--db=unix:/runs/ovn-1/ovnsb_db.sock', 'sw0', 'inport == "lsp1"']);
    expect(t.killAfterMs).toBe(9_000);
  });

  it('sends appctl commands to the named control socket only', () => {
    const a = ctlCommand(layout, 'appctl', ['status'], { target: layout.northdCtl }, tool);
    expect(a.args).toEqual(['--target=/runs/ovn-1/ovn-northd.ctl', '--timeout=10', 'status']);
    expect(() => ctlCommand(layout, 'appctl', ['status'], {}, tool)).toThrow('target');
  });

  it("runs every command with the instance's environment", () => {
    for (const which of ['nbctl', 'sbctl', 'vsctl', 'trace'] as const) {
      const { env } = ctlCommand(layout, which, [], {}, tool);
      expect(env.OVS_RUNDIR).toBe('/runs/ovn-1/ovs');
      expect(env.OVN_RUNDIR).toBe('/runs/ovn-1');
      expect(env.OVN_NB_DB).toBe('unix:/runs/ovn-1/ovnnb_db.sock');
    }
  });

  it('reports output and exit codes, and kills a command that runs too long', async () => {
    const env = { PATH: '/usr/bin:/bin' };
    const ok = await run({
      file: '/bin/sh',
      args: ['-c', 'echo out; echo err >&2'],
      env,
      killAfterMs: 10_000,
    });
    expect(ok).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 0 });
    const failed = await run({ file: '/bin/sh', args: ['-c', 'exit 3'], env, killAfterMs: 10_000 });
    expect(failed.code).toBe(3);
    const hung = await run({
      file: '/bin/sh',
      args: ['-c', 'exec sleep 30'],
      env,
      killAfterMs: 100,
    });
    expect(hung.code).toBe(1);
    expect(hung.stderr).toContain('killed after 100 ms');
    const missing = await run({ file: '/nonexistent/tool', args: [], env, killAfterMs: 1_000 });
    expect(missing.code).toBe(1);
  });
});
