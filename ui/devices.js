// Devices: the list with each device's state, and the selected device's properties: value, unit,
// quality with its reason, age, a sparkline, and for writable properties the desired value with
// pending -> confirmed / failed.
import { api } from './api.js';
import { ago, badge, fill, h, shown, toast } from './dom.js';
import { sparkline } from './sparkline.js';
import { changed, idOf, modelProperty, state } from './state.js';

let rows = new Map();
let listItems = new Map();
let filter = '';

export function renderDevices(root) {
  const list = h('div', { class: 'device-list', role: 'listbox', 'aria-label': 'devices' });
  const search = h('input', {
    type: 'search',
    placeholder: 'Filter devices',
    value: filter,
    oninput: (e) => {
      filter = e.target.value.toLowerCase();
      renderList(list);
    },
  });
  const detail = h('div', { class: 'device-detail' });
  fill(root, h('div', { class: 'split' }, h('aside', {}, search, list), detail));
  renderList(list);
  renderDetail(detail);
}

function deviceState(d) {
  const live = state.live[idOf(d)]?.state;
  return { state: live?.state ?? d.status?.state ?? 'unknown', reason: live?.reason };
}

function renderList(list) {
  listItems = new Map();
  const shownDevices = state.devices.filter(
    (d) => !filter || idOf(d).includes(filter) || (d.spec?.nodeName ?? '').includes(filter),
  );
  fill(
    list,
    shownDevices.length === 0
      ? h(
          'p',
          { class: 'empty' },
          state.devices.length ? 'No device matches.' : 'No devices yet: apply some in the YAML tab or import them.',
        )
      : null,
    shownDevices.map((d) => {
      const id = idOf(d);
      const item = h(
        'button',
        {
          class: `device-item${id === state.selected ? ' selected' : ''}`,
          role: 'option',
          'aria-selected': id === state.selected ? 'true' : 'false',
          dataset: { testid: `device-${id}` },
          onclick: () => {
            state.selected = id;
            changed('select');
          },
        },
        h('span', { class: 'name' }, d.metadata.name),
        h('span', { class: 'sub' }, `${d.spec?.nodeName ?? '—'} · ${d.spec?.deviceModelRef?.name ?? ''}`),
        h('span', { class: 'state' }),
      );
      listItems.set(id, item);
      updateListItem(d);
      return item;
    }),
  );
}

function updateListItem(d) {
  const item = listItems.get(idOf(d));
  if (!item) return;
  const s = deviceState(d);
  const bad = Object.values(state.live[idOf(d)]?.props ?? {}).filter((p) => p.quality === 'bad').length;
  fill(
    item.querySelector('.state'),
    badge(s.state, s.state, s.reason),
    bad ? h('span', { class: 'bad-count', title: `${bad} properties bad` }, `${bad} bad`) : null,
  );
}

function renderDetail(root) {
  rows = new Map();
  const d = state.devices.find((x) => idOf(x) === state.selected);
  if (!d) return fill(root, h('p', { class: 'empty' }, 'Select a device.'));
  const id = idOf(d);
  const names = new Set([
    ...(d.spec?.properties ?? []).map((p) => p.name),
    ...Object.keys(state.live[id]?.props ?? {}),
    ...Object.keys(state.live[id]?.twin ?? {}),
  ]);
  const s = deviceState(d);
  fill(
    root,
    h(
      'header',
      { class: 'detail-head' },
      h('h2', {}, d.metadata.name, h('span', { class: 'ns' }, ` ${d.metadata.namespace ?? 'default'}`)),
      h('span', { dataset: { testid: 'device-state' } }, badge(s.state, s.state)),
      h('span', { class: 'reason', dataset: { testid: 'device-reason' } }, s.reason ?? ''),
    ),
    h(
      'p',
      { class: 'sub' },
      `node ${d.spec?.nodeName ?? '—'} · model ${d.spec?.deviceModelRef?.name ?? '—'} · ${d.spec?.protocol?.protocolName ?? ''}`,
    ),
    h(
      'table',
      { class: 'grid props' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Property'),
          h('th', { class: 'num' }, 'Value'),
          h('th', {}, 'Quality'),
          h('th', {}, 'Age'),
          h('th', {}, 'Last minutes'),
          h('th', {}, 'Desired'),
        ),
      ),
      h(
        'tbody',
        {},
        [...names].map((name) => propRow(d, name)),
      ),
    ),
  );
  refreshDetail();
}

function propRow(d, name) {
  const id = idOf(d);
  const mp = modelProperty(d, name);
  const writable = mp?.accessMode === 'ReadWrite';
  const cells = {
    value: h('td', { class: 'num value' }),
    quality: h('td', { class: 'quality' }),
    age: h('td', { class: 'age' }),
    spark: h('div', { class: 'spark' }),
    twin: h('span', { class: 'twin-state' }),
  };
  const input = writable
    ? h('input', { type: 'text', size: 8, 'aria-label': `desired ${name}`, dataset: { testid: `desired-${name}` } })
    : null;
  const set = async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (value === '') return;
    try {
      const view = await api('PUT', `/api/v1/twins/${id}/desired`, { properties: { [name]: value } });
      const live = (state.live[id] ??= { props: {} });
      live.twin = view.properties;
      changed('live', [id]);
      input.value = '';
    } catch (err) {
      toast(`${name}: ${err.message}`, 'error');
    }
  };
  const row = h(
    'tr',
    { dataset: { testid: `prop-${name}` } },
    h(
      'th',
      { scope: 'row', title: mp?.description ?? '' },
      name,
      h('span', { class: 'type' }, `${(mp?.type ?? '').toLowerCase()}${writable ? ' · rw' : ''}`),
    ),
    cells.value,
    cells.quality,
    cells.age,
    h('td', {}, cells.spark),
    h(
      'td',
      { class: 'desired' },
      writable
        ? h(
            'form',
            { class: 'inline', onsubmit: set },
            input,
            h('button', { type: 'submit', dataset: { testid: `set-${name}` } }, 'Set'),
          )
        : h('span', { class: 'muted' }, 'read only'),
      cells.twin,
    ),
  );
  rows.set(name, { d, mp, cells });
  return row;
}

function refreshDetail() {
  const id = state.selected;
  const live = state.live[id];
  for (const [name, { mp, cells }] of rows) {
    const p = live?.props?.[name];
    const unit = p?.unit ?? mp?.unit ?? '';
    fill(
      cells.value,
      p ? h('span', { dataset: { testid: 'value' } }, shown(p.value)) : '—',
      unit ? h('span', { class: 'unit' }, ` ${unit}`) : null,
    );
    fill(
      cells.quality,
      p ? badge(p.quality, p.quality) : badge('no data', 'unknown'),
      p?.reason ? h('div', { class: 'reason', dataset: { testid: 'reason' } }, p.reason) : null,
    );
    fill(cells.age, h('span', { dataset: { ago: p?.ts ?? 0 } }, p ? ago(p.ts) : '—'));
    const stepped = mp?.accessMode === 'ReadWrite' || mp?.type === 'INT' || mp?.type === 'BOOLEAN';
    if (p?.t?.length) sparkline(cells.spark, p.t, p.v, p.quality === 'bad', stepped);
    fill(cells.twin, twinState(live?.twin?.[name], p));
  }
  const s = deviceState(state.devices.find((x) => idOf(x) === id) ?? { metadata: { name: '' } });
  const head = document.querySelector('[data-testid="device-state"]');
  if (head) fill(head, badge(s.state, s.state));
  const reason = document.querySelector('[data-testid="device-reason"]');
  if (reason) reason.textContent = s.reason ?? '';
}

function twinState(t, p) {
  if (!t?.desired) return null;
  const want = t.desired.value;
  if (t.failed)
    return h(
      'span',
      { class: 'chip failed', dataset: { testid: 'twin-failed' }, title: t.failed.reason },
      `${want} failed: ${t.failed.reason}`,
    );
  if (t.pending) return h('span', { class: 'chip pending', dataset: { testid: 'twin-pending' } }, `${want} pending…`);
  const reported = t.reported?.value ?? (p ? String(p.value) : undefined);
  if (reported === want || Number(reported) === Number(want))
    return h('span', { class: 'chip confirmed', dataset: { testid: 'twin-confirmed' } }, `${want} confirmed`);
  return h('span', { class: 'chip' }, `desired ${want}`);
}

/** Live changes: only the cells that changed, so an input being typed in keeps its focus. */
export function updateDevices(root, ids) {
  for (const id of ids ?? []) {
    const d = state.devices.find((x) => idOf(x) === id);
    if (d) updateListItem(d);
  }
  if (!ids || ids.includes(state.selected)) {
    if (rows.size === 0 || !root.querySelector('.props')) renderDetail(root.querySelector('.device-detail'));
    else {
      const live = state.live[state.selected];
      const known = new Set(rows.keys());
      const fresh = Object.keys(live?.props ?? {}).some((n) => !known.has(n));
      if (fresh) renderDetail(root.querySelector('.device-detail'));
      else refreshDetail();
    }
  }
}
