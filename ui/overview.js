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
      ? h('p', { class: 'empty' }, 'No edge node has connected yet. Start one with kedge edge --node NAME --cloud ws://THIS-HOST:10000.')
      : h('div', { class: 'cards' }, state.nodes.map(nodeCard)),
  );
}

function tile(label, value, kind) {
  return h('div', { class: `tile ${kind}` }, h('div', { class: 'value' }, String(value)), h('div', { class: 'label' }, label));
}

function nodeCard(n) {
  const st = state.nodeStatus[n.name];
  const devices = state.devices.filter((d) => d.spec?.nodeName === n.name).length;
  const lastSeen = n.lastHeartbeat ? Date.parse(n.lastHeartbeat) : 0;
  return h(
    'article',
    { class: 'card node', dataset: { testid: `node-${n.name}` } },
    h(
      'header',
      {},
      h('h3', {}, n.name),
      n.ready ? badge('ready', 'online') : badge('not ready', 'offline', n.reason),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Last seen', h('span', { dataset: { ago: lastSeen } }, ago(lastSeen))),
      fact('Devices', devices),
      n.ready && n.connectedAt ? fact('Connected', ago(Date.parse(n.connectedAt))) : null,
      !n.ready && n.reason ? fact('Reason', h('span', { class: 'reason' }, n.reason)) : null,
      st?.link ? fact('Link', `${st.link.state}${st.link.reason ? ` (${st.link.reason})` : ''}`) : null,
      st
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
      st ? fact('Version', st.version) : null,
    ),
    h('h4', {}, 'Mappers'),
    n.mappers.length === 0
      ? h('p', { class: 'empty' }, 'none: the node has no devices yet')
      : h(
          'table',
          { class: 'grid small' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Mapper'), h('th', {}, 'Protocols'), h('th', {}, 'Phase'), h('th', {}, 'Restarts'))),
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
