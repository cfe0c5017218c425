// YAML: Devices and DeviceModels as text, validated by the server with the checks of `kedge
// validate`; every problem is shown next to its line (and listed as file:line:col) before
// anything is applied.
import { api } from './api.js';
import { fill, h, toast } from './dom.js';
import { loadLists } from './state.js';

const FILE = 'editor.yaml';
const LINE_PX = 20;
let text = `# Paste or write Devices and DeviceModels (KubeEdge devices.kubeedge.io/v1beta1), then
# Validate shows each problem next to its line; Apply creates or updates them.
`;
let problems = [];
let els;

/** Puts text into the editor (the tag browser's draft); the caller switches to this tab. */
export function openInEditor(yaml) {
  text = yaml;
  problems = [];
  if (els) {
    els.area.value = text;
    paint();
  }
}

export function renderYaml(root) {
  const area = h('textarea', {
    class: 'code',
    spellcheck: 'false',
    wrap: 'off',
    'aria-label': 'YAML',
    dataset: { testid: 'yaml-text' },
    value: text,
    oninput: () => {
      text = area.value;
      problems = [];
      paint();
    },
    onscroll: () => {
      gutter.scrollTop = area.scrollTop;
      notes.scrollTop = area.scrollTop;
    },
  });
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const notes = h('div', { class: 'notes', dataset: { testid: 'yaml-notes' } });
  const list = h('ul', { class: 'problems', dataset: { testid: 'yaml-problems' } });
  const status = h('span', { class: 'status', dataset: { testid: 'yaml-status' } });
  els = { area, gutter, notes, list, status };
  fill(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { onclick: () => run(false), dataset: { testid: 'yaml-validate' } }, 'Validate'),
      h('button', { class: 'primary', onclick: () => run(true), dataset: { testid: 'yaml-apply' } }, 'Apply'),
      h(
        'label',
        { class: 'button' },
        'Open file…',
        h('input', { type: 'file', accept: '.yaml,.yml', hidden: true, onchange: openFile }),
      ),
      status,
    ),
    h('div', { class: 'editor' }, gutter, area, notes),
    list,
  );
  paint();
}

async function openFile(e) {
  const file = e.target.files?.[0];
  if (!file) return;
  openInEditor(await file.text());
}

async function run(apply) {
  const body = { sources: [{ file: FILE, content: text }] };
  els.status.textContent = apply ? 'Applying…' : 'Validating…';
  try {
    if (apply) {
      const res = await api('POST', '/api/v1/apply', body);
      problems = [];
      const changedCount = res.applied.filter((a) => a.action !== 'unchanged').length;
      els.status.textContent = `Applied: ${res.applied.map((a) => `${a.kind} ${a.name} ${a.action}`).join(', ') || 'nothing'}`;
      if (res.warnings.length) toast(`${res.warnings.length} warning(s): ${res.warnings[0]}`);
      if (changedCount) await loadLists();
    } else {
      const res = await api('POST', '/api/v1/validate', body);
      problems = res.problems;
      const errors = problems.filter((p) => p.severity === 'error').length;
      els.status.textContent = errors
        ? `${errors} error(s): nothing would be applied`
        : `Valid: ${res.models} model(s), ${res.devices} device(s)${problems.length ? `, ${problems.length} warning(s)` : ''}`;
    }
  } catch (err) {
    problems = err.detail?.problems ?? [];
    els.status.textContent = problems.length
      ? `${problems.filter((p) => p.severity === 'error').length} error(s): nothing was applied`
      : err.message;
    if (!problems.length) toast(err.message, 'error');
  }
  paint();
}

function paint() {
  const { area, gutter, notes, list } = els;
  const lines = text.split('\n').length;
  const byLine = new Map();
  for (const p of problems) {
    if (p.file !== FILE) continue;
    const at = byLine.get(p.line) ?? [];
    at.push(p);
    byLine.set(p.line, at);
  }
  fill(
    gutter,
    Array.from({ length: lines }, (_, i) => {
      const at = byLine.get(i + 1);
      return h(
        'div',
        { class: at ? (at.some((p) => p.severity === 'error') ? 'ln error' : 'ln warning') : 'ln' },
        String(i + 1),
      );
    }),
  );
  fill(
    notes,
    Array.from({ length: lines }, (_, i) => {
      const at = byLine.get(i + 1);
      return h(
        'div',
        {
          class: at ? `note ${at[0].severity}` : 'note',
          dataset: at ? { line: i + 1 } : {},
          title: at ? at.map((p) => p.message).join('\n') : undefined,
        },
        at ? at.map((p) => `${p.severity === 'error' ? '✗' : '!'} ${p.message}`).join('; ') : '',
      );
    }),
  );
  fill(
    list,
    problems.map((p) =>
      h(
        'li',
        { class: p.severity },
        h(
          'a',
          {
            href: '#yaml',
            class: 'at',
            onclick: (e) => {
              e.preventDefault();
              jump(p.line, p.col);
            },
          },
          `${p.file}:${p.line}:${p.col}`,
        ),
        ` ${p.severity}: ${p.message}`,
      ),
    ),
  );
  area.style.minHeight = `${Math.min(Math.max(lines + 2, 18), 40) * LINE_PX}px`;
}

function jump(line, col) {
  const lines = text.split('\n');
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  at += Math.max(0, col - 1);
  els.area.focus();
  els.area.setSelectionRange(at, at);
  els.area.scrollTop = Math.max(0, (line - 5) * LINE_PX);
}
