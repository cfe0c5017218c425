// The kedge dashboard: served by `kedge cloud` (and a standalone `kedge edge`) at the root of its
// API address. Lists come from the API, live values from its event stream.
import { api, forgetToken, onTokenNeeded, setToken, stream, token } from './api.js';
import { renderBrowse } from './browse.js';
import { renderDevices, updateDevices } from './devices.js';
import { ago } from './dom.js';
import { renderImport } from './import.js';
import { renderOverview } from './overview.js';
import { applySnapshot, applyUpdate, changed, loadLists, loadNodeStatus, onChange, state } from './state.js';
import { renderYaml } from './yaml.js';

const views = {
  overview: renderOverview,
  devices: renderDevices,
  yaml: renderYaml,
  browse: (root) => renderBrowse(root, goTo),
  import: renderImport,
};
let current = 'overview';
/** Views drawn before the lists first arrived (a page opened on #browse) are drawn again then. */
let drawnEmpty = new Set();

function goTo(tab) {
  location.hash = tab;
}

function show() {
  const tab = location.hash.slice(1);
  current = tab in views ? tab : 'overview';
  for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('active', a.dataset.tab === current);
  for (const s of document.querySelectorAll('main > .view')) s.hidden = s.id !== current;
  views[current](document.getElementById(current));
  if (state.devices.length === 0 && state.nodes.length === 0) drawnEmpty.add(current);
}

// The editors keep what is typed in them: only the live views are drawn again on changes.
onChange((what, detail) => {
  const root = document.getElementById(current);
  if (what === 'live') {
    if (current === 'devices') updateDevices(root, detail);
    else if (current === 'overview') renderOverview(root);
  } else if (what === 'select') {
    if (current === 'devices') renderDevices(root);
  } else if (what === 'lists' || what === 'status') {
    if (current === 'overview' || current === 'devices') views[current](root);
    else if (what === 'lists' && drawnEmpty.has(current)) views[current](root);
    if (what === 'lists') drawnEmpty = new Set();
  } else if (what === 'stream') {
    const el = document.getElementById('live');
    el.textContent =
      { live: 'live', reconnecting: 'reconnecting…', unauthorized: 'signed out' }[state.stream] ?? state.stream;
    el.className = `live ${state.stream}`;
  }
});

/** One dialog however many requests were refused at once; each waits for the same answer. */
let asking;
function askForToken(message) {
  const dialog = document.getElementById('login');
  document.getElementById('login-error').textContent = message ?? '';
  if (asking) return asking;
  document.getElementById('token').value = '';
  if (!dialog.open) dialog.showModal();
  asking = new Promise((resolve) => {
    document.getElementById('login-form').onsubmit = () => {
      const value = document.getElementById('token').value.trim();
      asking = undefined;
      if (!value) return resolve(false);
      setToken(value, document.getElementById('remember').checked);
      document.getElementById('logout').hidden = false;
      resolve(true);
    };
  });
  return asking;
}

async function start() {
  onTokenNeeded(askForToken);
  document.getElementById('logout').hidden = !token();
  document.getElementById('logout').onclick = () => {
    forgetToken();
    location.reload();
  };
  window.addEventListener('hashchange', show);
  show();
  await loadLists();
  document.getElementById('where').textContent =
    state.nodes.length === 1 && !state.nodes[0].lastHeartbeat ? '' : location.host;
  let refreshing;
  stream(
    (name, data) => {
      if (name === 'snapshot') applySnapshot(data);
      if (name === 'update') {
        const { nodes, list } = applyUpdate(data);
        if ((nodes || list) && !refreshing) refreshing = loadLists().finally(() => (refreshing = undefined));
      }
    },
    (s) => {
      state.stream = s;
      changed('stream');
    },
  );
  // Ages tick every second; the nodes' outbox and link every 5 s; the lists every 30 s.
  setInterval(() => {
    for (const el of document.querySelectorAll('[data-ago]')) el.textContent = ago(Number(el.dataset.ago));
  }, 1000);
  setInterval(() => void loadNodeStatus().catch(() => undefined), 5000);
  setInterval(() => void loadLists().catch(() => undefined), 30_000);
}

start().catch((err) => {
  document.getElementById('live').textContent = `error: ${err.message}`;
  void api;
});
