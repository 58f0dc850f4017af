import { describe, expect, it } from '@jest/globals';
import { parseNorthdRuns } from './northd.ts';

const stopwatch = `Statistics for 'build_flows_ctx'
  Total samples: 20
  Maximum: 77 msec
  Minimum: 0 msec
  95th percentile: 70.000000 msec
Statistics for 'ovnnb_db_run'
  Total samples: 1234
  Maximum: 2210 msec
  Minimum: 0 msec
  95th percentile: 1180.523000 msec
  Short term average: 900.1 msec
  Long term average: 700.2 msec
Statistics for 'lflows_to_sb'
  Total samples: 23
  Maximum: 50 msec
  Minimum: 0 msec
  95th percentile: 41.000000 msec
`;

const engine = `Node: NB_port_group
- recompute:           28
- compute:              0
- abort:                0
Node: northd
- recompute:         1200
- compute:             34
- abort:                0
Node: lflow
- recompute:         1234
- compute:              0
- abort:                0
`;

describe('parseNorthdRuns', () => {
  it('reads the run count and times, and the northd node’s recomputes', () => {
    expect(parseNorthdRuns(stopwatch, engine)).toEqual({
      runs: 1234,
      p95Ms: 1180.523,
      maxMs: 2210,
      recomputes: 1200,
      computes: 34,
      lflowRecomputes: 1234,
      buildP95Ms: 70,
      syncP95Ms: 41,
    });
  });

  it('reads the runs from the northd stopwatch of OVN 25.09 and later', () => {
    const renamed = stopwatch.replace("'ovnnb_db_run'", "'northd'");
    expect(parseNorthdRuns(renamed, engine)).toMatchObject({ runs: 1234, p95Ms: 1180.523 });
  });

  it('fails on output it does not understand, rather than report zeros', () => {
    expect(() => parseNorthdRuns('nothing', engine)).toThrow('lack runs');
    expect(() =>
      parseNorthdRuns(stopwatch.replace(/Statistics for 'lflows_to_sb'[^]*$/, ''), engine),
    ).toThrow('lack syncP95Ms');
    expect(() => parseNorthdRuns(stopwatch, 'Node: lflow\n- recompute: 3\n')).toThrow(
      'lack recomputes',
    );
  });
});
