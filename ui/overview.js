// Overview: every node (ready, last seen, link, outbox backlog, mappers) and the devices' states.
import { ago, badge, bytes, duration, fill, h } from './dom.js';
import { idOf, state } from './state.js';

export function renderOverview(root) {
  const counts = { online: 0, offline: 0, unhealthy: 0, unknown: 0 };
  for (const d of state.devices) {
    const s = state.live[idOf(d)]?.state?.state ?? d.status?.state ?? 'unknown';
    counts[s in counts ? s : 'unknown']++;
  }
  fill(
    root,
    h(
      'div',
      { class: 'summary' },
      tile('Nodes', `${state.nodes.filter((n) => n.ready).length} / ${state.nodes.length}`, 'ready'),
      tile('Devices online', counts.online, 'online'),
      tile('Unhealthy', counts.unhealthy, counts.unhealthy ? 'unhealthy' : ''),
      tile('Offline', counts.offline, counts.offline ? 'offline' : ''),
      tile('Unknown', counts.unknown, ''),
    ),
    h('h2', {}, 'Nodes'),
    state.nodes.length === 0
      ? h(
          'p',
          { class: 'empty' },
          'No edge node has connected yet. Start one with kedge edge --node NAME --cloud ws://THIS-HOST:10000.',
        )
      : h('div', { class: 'cards' }, state.nodes.map(nodeCard)),
    h('h2', {}, 'Devices'),
    state.devices.length === 0
      ? h('p', { class: 'empty' }, 'No devices yet: apply some in the YAML tab or import them from a CSV.')
      : deviceTable(),
  );
}

/** Every device at a glance: state with its reason, how many properties are good, the newest value's age. */
function deviceTable() {
  return h(
    'table',
    { class: 'grid', dataset: { testid: 'device-table' } },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Device'),
        h('th', {}, 'Node'),
        h('th', {}, 'Model'),
        h('th', {}, 'State'),
        h('th', {}, 'Properties'),
        h('th', {}, 'Last value'),
      ),
    ),
    h(
      'tbody',
      {},
      state.devices.map((d) => {
        const id = idOf(d);
        const live = state.live[id];
        const s = live?.state?.state ?? d.status?.state ?? 'unknown';
        const props = Object.values(live?.props ?? {});
        const good = props.filter((p) => p.quality === 'good').length;
        const newest = Math.max(0, ...props.map((p) => p.ts ?? 0));
        return h(
          'tr',
          {},
          h('td', {}, h('a', { href: '#devices', onclick: () => (state.selected = id) }, d.metadata.name)),
          h('td', {}, d.spec?.nodeName ?? '—'),
          h('td', {}, d.spec?.deviceModelRef?.name ?? '—'),
          h('td', {}, badge(s, s), live?.state?.reason ? h('div', { class: 'reason' }, live.state.reason) : null),
          h(
            'td',
            {},
            props.length ? `${good} of ${props.length} good` : '—',
            props.length > good ? h('span', { class: 'bad-count' }, ` · ${props.length - good} not good`) : null,
          ),
          h('td', { class: 'age' }, h('span', { dataset: { ago: newest } }, newest ? ago(newest) : '—')),
        );
      }),
    ),
  );
}

function tile(label, value, kind) {
  return h(
    'div',
    { class: `tile ${kind}` },
    h('div', { class: 'value' }, String(value)),
    h('div', { class: 'label' }, label),
  );
}

function nodeCard(n) {
  const st = state.nodeStatus[n.name];
  const devices = state.devices.filter((d) => d.spec?.nodeName === n.name).length;
  const lastSeen = n.lastHeartbeat ? Date.parse(n.lastHeartbeat) : 0;
  return h(
    'article',
    { class: 'card node', dataset: { testid: `node-${n.name}` } },
    h('header', {}, h('h3', {}, n.name), n.ready ? badge('ready', 'online') : badge('not ready', 'offline', n.reason)),
    h(
      'dl',
      { class: 'facts' },
      fact('Last seen', h('span', { dataset: { ago: lastSeen } }, ago(lastSeen))),
      fact('Devices', devices),
      n.ready && n.connectedAt ? fact('Connected', ago(Date.parse(n.connectedAt))) : null,
      !n.ready && n.reason ? fact('Reason', h('span', { class: 'reason' }, n.reason)) : null,
      st?.link ? fact('Link', `${st.link.state}${st.link.reason ? ` (${st.link.reason})` : ''}`) : null,
      st?.unanswered
        ? fact(
            'Outbox',
            h(
              'span',
              { class: 'reason', title: st.unanswered.message, dataset: { testid: `outbox-${n.name}` } },
              st.unanswered.code === 'KEDGE_CLOUDHUB_NOT_CONNECTED'
                ? 'held by another cloud replica: see its dashboard'
                : `not answered: ${st.unanswered.message}`,
            ),
          )
        : st
          ? fact(
              'Outbox',
              h(
                'span',
                { class: st.outbox.messages > 1000 ? 'warn' : '', dataset: { testid: `outbox-${n.name}` } },
                `${st.outbox.messages} messages, ${bytes(st.outbox.bytes)}`,
                st.outbox.oldestAgeMs ? `, oldest ${duration(st.outbox.oldestAgeMs)}` : '',
              ),
            )
          : fact('Outbox', n.ready ? '…' : 'unknown while not connected'),
      st?.version ? fact('Version', st.version) : null,
    ),
    h('h4', {}, 'Mappers'),
    n.mappers.length === 0
      ? h('p', { class: 'empty' }, 'none: the node has no devices yet')
      : h(
          'table',
          { class: 'grid small' },
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, 'Mapper'), h('th', {}, 'Protocols'), h('th', {}, 'Phase'), h('th', {}, 'Restarts')),
          ),
          h(
            'tbody',
            {},
            n.mappers.map((m) =>
              h(
                'tr',
                { dataset: { testid: `mapper-${m.name}` } },
                h('td', {}, m.name),
                h('td', {}, m.protocols.join(', ')),
                h('td', {}, badge(m.phase ?? 'Pending', phaseKind(m), m.reason)),
                h('td', { class: 'num' }, m.restarts ?? 0),
              ),
            ),
          ),
        ),
  );
}

function phaseKind(m) {
  if (m.phase === 'Running' && m.ready) return 'online';
  if (m.phase === 'CrashLoopBackOff') return 'offline';
  if (m.phase === 'Running') return 'unhealthy';
  return 'unknown';
}

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}
