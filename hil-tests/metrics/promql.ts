import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../../src/core/paths/index.js';

export const DASHBOARD = join(packageRoot(), 'deploy', 'grafana', 'kedge-dashboard.json');
export const RULES = join(packageRoot(), 'deploy', 'prometheus', 'kedge-alerts.yaml');
export const RULE_TESTS = join(packageRoot(), 'deploy', 'prometheus', 'kedge-alerts.test.yaml');
export const PROMETHEUS_CONFIG = join(packageRoot(), 'deploy', 'prometheus', 'prometheus.yml');

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads (not functions, keywords, labels or strings). */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = s.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Every PromQL expression of the Grafana dashboard (panel targets and query variables). */
export function dashboardExprs(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ type: string; definition?: string }> };
  };
  const panels = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  // label_values(<series selector>, <label>): the selector is PromQL too.
  const vars = d.templating.list
    .filter((v) => v.type === 'query' && v.definition)
    .map((v) => /^label_values\((.+),\s*\w+\)$/.exec(v.definition!)?.[1] ?? v.definition!);
  return [...panels, ...vars];
}

export function ruleExprs(): Array<{ alert: string; expr: string }> {
  const doc = parse(readFileSync(RULES, 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}

/** A dashboard expression as Grafana sends it with every node and device selected. */
export function asQuery(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '1m').replace(/\$node|\$device/g, '.*');
}
