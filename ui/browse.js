// Tag browser: an OPC UA server's address space browsed from an edge node (it reaches the plant
// network; the cloud asks it over the link), variables picked, and a DeviceModel + Device draft
// made of them, opened in the YAML editor to check and apply.
import { api } from './api.js';
import { fill, h, shown, toast } from './dom.js';
import { state } from './state.js';
import { openInEditor } from './yaml.js';

const picked = new Map();
const form = { node: '', url: '', user: '', password: '' };
let tree;
let pickedList;

export function renderBrowse(root, goTo) {
  const nodes = state.nodes.filter((n) => n.ready);
  if (!nodes.some((n) => n.name === form.node)) form.node = nodes[0]?.name ?? '';
  const urls = new Set(
    state.devices
      .filter((d) => d.spec?.protocol?.protocolName === 'opcua')
      .map((d) => d.spec.protocol.configData?.url)
      .filter(Boolean),
  );
  if (!form.url && urls.size > 0) form.url = [...urls][0];
  const field = (key, attrs) =>
    h('input', { ...attrs, value: form[key], oninput: (e) => (form[key] = e.target.value) });
  tree = h('div', { class: 'tree', role: 'tree', dataset: { testid: 'browse-tree' } });
  pickedList = h('div', { class: 'picked' });
  fill(
    root,
    h(
      'form',
      {
        class: 'toolbar wrap',
        onsubmit: (e) => {
          e.preventDefault();
          browseRoot();
        },
      },
      h(
        'label',
        {},
        'Edge node ',
        h(
          'select',
          { onchange: (e) => (form.node = e.target.value), dataset: { testid: 'browse-node' } },
          nodes.map((n) => h('option', { value: n.name, selected: n.name === form.node }, n.name)),
        ),
      ),
      h(
        'label',
        { class: 'grow' },
        'Server ',
        field('url', {
          list: 'opcua-urls',
          size: 34,
          placeholder: 'opc.tcp://host:4840',
          required: true,
          dataset: { testid: 'browse-url' },
        }),
        h(
          'datalist',
          { id: 'opcua-urls' },
          [...urls].map((u) => h('option', { value: u })),
        ),
      ),
      h('label', {}, 'User ', field('user', { size: 10, autocomplete: 'off' })),
      h('label', {}, 'Password ', field('password', { type: 'password', size: 10, autocomplete: 'off' })),
      h('button', { type: 'submit', class: 'primary', dataset: { testid: 'browse-go' } }, 'Browse'),
    ),
    nodes.length === 0
      ? h(
          'p',
          { class: 'empty' },
          'No edge node is connected: the browse runs on a node, which reaches the OPC UA server.',
        )
      : null,
    h(
      'div',
      { class: 'split browse' },
      tree,
      h('aside', {}, h('h3', {}, 'Picked variables'), pickedList, draftForm(goTo)),
    ),
  );
  renderPicked();
}

async function browse(nodeId) {
  const params = { url: form.url.trim(), ...(nodeId ? { nodeId } : {}) };
  if (form.user) Object.assign(params, { userName: form.user, password: form.password });
  return api('POST', `/api/v1/nodes/${encodeURIComponent(form.node)}/opcua/browse`, params);
}

async function browseRoot() {
  fill(tree, h('p', { class: 'muted' }, `Browsing ${form.url} from ${form.node}…`));
  try {
    const answer = await browse();
    fill(tree, children(answer.nodes, 0));
    if (answer.truncated) tree.append(h('p', { class: 'muted' }, 'More children than shown.'));
  } catch (err) {
    fill(tree, h('p', { class: 'error', dataset: { testid: 'browse-error' } }, `${err.code}: ${err.message}`));
  }
}

function children(nodes, depth) {
  if (nodes.length === 0) return h('p', { class: 'muted', style: `padding-left:${depth * 18 + 24}px` }, 'no children');
  return nodes.map((n) => row(n, depth));
}

function row(n, depth) {
  const box = h('div', { role: 'group' });
  let open = false;
  const toggle = n.hasChildren
    ? h(
        'button',
        {
          class: 'twisty',
          'aria-label': `open ${n.displayName}`,
          onclick: async () => {
            open = !open;
            toggle.textContent = open ? '▾' : '▸';
            if (!open) return void box.replaceChildren();
            fill(box, h('p', { class: 'muted', style: `padding-left:${(depth + 1) * 18 + 24}px` }, 'loading…'));
            try {
              fill(box, children((await browse(n.nodeId)).nodes, depth + 1));
            } catch (err) {
              fill(box, h('p', { class: 'error' }, err.message));
            }
          },
        },
        '▸',
      )
    : h('span', { class: 'twisty' });
  const pick = n.propertyType
    ? h('input', {
        type: 'checkbox',
        checked: picked.has(n.nodeId),
        'aria-label': `pick ${n.displayName}`,
        dataset: { testid: `pick-${n.displayName}` },
        onchange: (e) => {
          if (e.target.checked) picked.set(n.nodeId, n);
          else picked.delete(n.nodeId);
          renderPicked();
        },
      })
    : h('span', { class: 'nopick' });
  return [
    h(
      'div',
      { class: `tree-row ${n.nodeClass.toLowerCase()}`, role: 'treeitem', style: `padding-left:${depth * 18}px` },
      toggle,
      pick,
      h('span', { class: 'tname', title: n.description ?? '' }, n.displayName),
      h('code', { class: 'nodeid' }, n.nodeId),
      n.dataType ? h('span', { class: 'type' }, `${n.dataType}${n.writable ? ' · rw' : ''}`) : null,
      n.value !== undefined ? h('span', { class: 'val' }, shown(n.value)) : null,
      n.nodeClass === 'Variable' && !n.propertyType ? h('span', { class: 'muted' }, 'no property type') : null,
    ),
    box,
  ];
}

function renderPicked() {
  fill(
    pickedList,
    picked.size === 0
      ? h('p', { class: 'muted' }, 'Tick variables in the tree.')
      : h(
          'ul',
          {},
          [...picked.values()].map((n) =>
            h('li', {}, `${n.displayName} `, h('span', { class: 'type' }, n.propertyType)),
          ),
        ),
  );
}

function draftForm(goTo) {
  const model = h('input', { value: 'opcua-model', size: 20, dataset: { testid: 'draft-model' } });
  const device = h('input', { value: 'opcua-device', size: 20, dataset: { testid: 'draft-device' } });
  const cycle = h('input', { type: 'number', value: '1000', min: '100', step: '100', size: 6 });
  return h(
    'form',
    {
      class: 'draft',
      onsubmit: (e) => {
        e.preventDefault();
        if (picked.size === 0) return toast('Pick at least one variable', 'error');
        openInEditor(draft(model.value.trim(), device.value.trim(), Number(cycle.value) || 1000));
        goTo('yaml');
      },
    },
    h('label', {}, 'DeviceModel ', model),
    h('label', {}, 'Device ', device),
    h('label', {}, 'Cycle (ms) ', cycle),
    h('button', { type: 'submit', class: 'primary', dataset: { testid: 'draft-make' } }, 'Draft YAML'),
  );
}

const q = (s) => JSON.stringify(String(s));

/** A property name from a display name: lower case words joined by dashes, unique. */
function names(nodes) {
  const used = new Set();
  return nodes.map((n) => {
    const base =
      String(n.displayName)
        .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'value';
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    return name;
  });
}

function draft(model, device, cycle) {
  const vars = [...picked.values()];
  const props = names(vars);
  const lines = [
    `# Drafted from ${form.url} (browsed from node ${form.node}): check types and names, then Apply.`,
    'apiVersion: devices.kubeedge.io/v1beta1',
    'kind: DeviceModel',
    'metadata:',
    `  name: ${model}`,
    '  namespace: default',
    'spec:',
    '  protocol: opcua',
    '  properties:',
    ...vars.flatMap((n, i) => [
      `    - name: ${props[i]}`,
      `      description: ${q(`${n.displayName} (${n.dataType}, ${n.nodeId})`)}`,
      `      type: ${n.propertyType}`,
      `      accessMode: ${n.writable ? 'ReadWrite' : 'ReadOnly'}`,
    ]),
    '---',
    'apiVersion: devices.kubeedge.io/v1beta1',
    'kind: Device',
    'metadata:',
    `  name: ${device}`,
    '  namespace: default',
    'spec:',
    '  deviceModelRef:',
    `    name: ${model}`,
    `  nodeName: ${form.node}`,
    '  protocol:',
    '    protocolName: opcua',
    '    configData:',
    `      url: ${q(form.url)}`,
    '      securityPolicy: None',
    '      securityMode: None',
    ...(form.user ? [`      userName: ${q(form.user)}`, `      password: ${q(form.password)}`] : []),
    '  properties:',
    ...vars.flatMap((n, i) => [
      `    - name: ${props[i]}`,
      `      collectCycle: ${cycle}`,
      `      reportCycle: ${cycle}`,
      '      reportToCloud: true',
      '      visitors:',
      '        protocolName: opcua',
      '        configData:',
      `          nodeID: ${q(n.nodeId)}`,
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
