import { describe, expect, it } from 'vitest';
import { dashboardExprs, metricNames, ruleExprs } from './promql.js';

describe('the metric names in PromQL', () => {
  it('are the series read, not functions, keywords, labels, strings or ranges', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, node) (rate(kedge_x_bucket{node=~"$node",a="b{c}"}[$__rate_interval]))) / on (node) group_left kedge_y and kedge_z > bool 1e3 or vector(0) unless time() - kedge_w offset 5m',
      ).sort(),
    ).toEqual(['kedge_w', 'kedge_x_bucket', 'kedge_y', 'kedge_z']);
  });

  it('are found in the dashboard and the rules', () => {
    expect(dashboardExprs().length).toBeGreaterThan(25);
    expect(ruleExprs().map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'KedgeNodeNotReady',
        'KedgeDeviceOffline',
        'KedgeOutboxBacklogGrowing',
        'KedgeDeviceReadErrors',
      ]),
    );
  });
});
