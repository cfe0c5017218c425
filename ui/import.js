// Bulk import: many Devices from a CSV, one per row, each a copy of a template Device of the
// chosen model with the row's name, node and protocol fields. Preview first (nothing applied),
// then import: all rows or none.
import { api } from './api.js';
import { fill, h, toast } from './dom.js';
import { idOf, loadLists, state } from './state.js';

let choice = { model: '', template: '', csv: '' };
let out;

export function renderImport(root) {
  const models = state.models.map((m) => `${m.metadata.namespace ?? 'default'}/${m.metadata.name}`);
  if (!models.includes(choice.model)) choice.model = models[0] ?? '';
  const templates = state.devices.filter(
    (d) => `${d.metadata.namespace ?? 'default'}/${d.spec?.deviceModelRef?.name}` === choice.model,
  );
  if (!templates.some((d) => idOf(d) === choice.template)) choice.template = templates[0] ? idOf(templates[0]) : '';
  const template = templates.find((d) => idOf(d) === choice.template);
  if (!choice.csv && template) choice.csv = sample(template);
  const area = h('textarea', {
    class: 'code csv',
    rows: 12,
    spellcheck: 'false',
    value: choice.csv,
    'aria-label': 'CSV',
    dataset: { testid: 'csv-text' },
    oninput: (e) => (choice.csv = e.target.value),
  });
  out = h('div', { class: 'import-result', dataset: { testid: 'csv-result' } });
  fill(
    root,
    h(
      'p',
      { class: 'sub' },
      'One Device per row: a copy of the template device (its protocol and each property’s visitor) with the row’s values. Columns: name (required), node, namespace, label.<key>, desired.<property>, and any protocol configData field (ip, port, slaveID, url…).',
    ),
    h(
      'div',
      { class: 'toolbar wrap' },
      h(
        'label',
        {},
        'DeviceModel ',
        h(
          'select',
          {
            dataset: { testid: 'csv-model' },
            onchange: (e) => {
              choice = { model: e.target.value, template: '', csv: '' };
              renderImport(root);
            },
          },
          models.map((m) => h('option', { value: m, selected: m === choice.model }, m)),
        ),
      ),
      h(
        'label',
        {},
        'Template device ',
        h(
          'select',
          {
            dataset: { testid: 'csv-template' },
            onchange: (e) => {
              choice.template = e.target.value;
              renderImport(root);
            },
          },
          templates.map((d) => h('option', { value: idOf(d), selected: idOf(d) === choice.template }, idOf(d))),
        ),
      ),
      h(
        'label',
        { class: 'button' },
        'Open CSV…',
        h('input', {
          type: 'file',
          accept: '.csv,text/csv',
          hidden: true,
          onchange: async (e) => {
            const f = e.target.files?.[0];
            if (f) area.value = choice.csv = await f.text();
          },
        }),
      ),
    ),
    templates.length === 0 && models.length
      ? h(
          'p',
          { class: 'empty' },
          'No Device of this model exists to copy: apply one first (the YAML tab), e.g. the example Device in device-models/.',
        )
      : null,
    area,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { onclick: () => run(true), disabled: !template, dataset: { testid: 'csv-preview' } }, 'Preview'),
      h(
        'button',
        { class: 'primary', onclick: () => run(false), disabled: !template, dataset: { testid: 'csv-import' } },
        'Import',
      ),
    ),
    out,
  );
}

function sample(template) {
  const config = Object.keys(template.spec?.protocol?.configData ?? {}).filter(
    (k) => !/password|privateKey|certificate/i.test(k),
  );
  const head = ['name', 'node', ...config];
  const row = (i) => [
    `${template.metadata.name}-${String(i).padStart(2, '0')}`,
    template.spec?.nodeName ?? '',
    ...config.map((k) => String(template.spec.protocol.configData[k])),
  ];
  return `${[head, row(1), row(2)].map((r) => r.join(',')).join('\n')}\n`;
}

async function run(dryRun) {
  fill(out, h('p', { class: 'muted' }, dryRun ? 'Checking…' : 'Importing…'));
  try {
    const res = await api('POST', '/api/v1/import/devices', { csv: choice.csv, template: choice.template, dryRun });
    fill(
      out,
      h(
        'p',
        { class: dryRun ? '' : 'ok', dataset: { testid: 'csv-summary' } },
        dryRun
          ? `${res.devices.length} device(s) would be created or updated:`
          : `Imported ${res.applied.length} device(s): ${count(res.applied)}`,
      ),
      h(
        'table',
        { class: 'grid small' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Device'), h('th', {}, 'Node'), h('th', {}, 'Result'))),
        h(
          'tbody',
          {},
          res.devices.map((d, i) =>
            h(
              'tr',
              {},
              h('td', {}, `${d.namespace}/${d.name}`),
              h('td', {}, d.node),
              h('td', {}, res.applied[i]?.action ?? 'preview'),
            ),
          ),
        ),
      ),
      problemList(res.problems),
    );
    if (!dryRun) {
      toast(`Imported ${res.applied.length} device(s)`);
      await loadLists();
    }
  } catch (err) {
    fill(
      out,
      h(
        'p',
        { class: 'error', dataset: { testid: 'csv-error' } },
        err.detail?.problems ? 'Nothing was imported: fix these rows.' : err.message,
      ),
      problemList(err.detail?.problems ?? []),
    );
  }
}

function count(applied) {
  const by = {};
  for (const a of applied) by[a.action] = (by[a.action] ?? 0) + 1;
  return Object.entries(by)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

function problemList(problems) {
  if (!problems.length) return null;
  return h(
    'ul',
    { class: 'problems', dataset: { testid: 'csv-problems' } },
    problems.map((p) =>
      h('li', { class: p.severity }, p.text ?? `${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message}`),
    ),
  );
}
