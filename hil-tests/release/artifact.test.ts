/**
 * The release as a user gets it, for this machine's architecture (x64): deploy/build-release.sh
 * makes the npm package and the linux-x64 artifact (without the bundled Node runtime, to spare CI
 * the download: the installed kedge then runs on this machine's Node 20), deploy/install.sh
 * installs it into a scratch root filesystem, and the installed kedge runs: `--version`, then the
 * edge as its systemd unit starts it, polling a Modbus simulator, with readings on its broker.
 * The ARM artifacts are tested under qemu by deploy/test-release-arm.sh (too slow for CI without
 * its cache; its last run is in bench/RESULTS.md).
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/brokers.js';
import { root as repo, spawnKedge } from '../support/kedge-process.js';
import { TestClient } from '../support/mqtt-client.js';

const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
/** Dependencies nothing imports yet, each with the reason it stays. */
const NOT_YET_IMPORTED: Record<string, string> = {
  '@kubernetes/client-node': 'the Kubernetes store of the cloud (being written alongside)',
};

/**
 * Every install script in the production tree, each with why it needs no compiler where a
 * prebuilt or pure-JS path exists. A new one fails the test until it is looked at.
 */
const INSTALL_SCRIPTS: Record<string, string> = {
  '@serialport/bindings-cpp: node-gyp-build': 'loads the prebuilds serialport ships',
  'better-sqlite3: prebuild-install || node-gyp rebuild --release':
    'downloads its prebuilt binary; compiles only where none can be had',
  'protobufjs: node scripts/postinstall': "a JavaScript check of its dependents' version ranges; compiles nothing",
  // dockerode's SSH transport (kedge talks to the engine's unix socket, never over SSH).
  'ssh2: node install.js':
    'tries to compile an optional crypto binding, exits 0 without a compiler and uses JavaScript',
  'cpu-features: node buildcheck.js > buildcheck.gypi && node-gyp rebuild':
    'an optional dependency of ssh2: npm leaves it out when it cannot build, and ssh2 loads it inside a try',
};

let work: string;
let unpacked: string; // the artifact, unpacked
let target: string; // the scratch root install.sh installs into

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

beforeAll(async () => {
  if (process.getuid?.() !== 0)
    throw new Error('this test installs into a scratch root with useradd: run it as root (CI does)');
  work = await mkdtemp(join(tmpdir(), 'kedge-release-test-'));
  const out = join(work, 'release');
  run('bash', [join(repo, 'deploy/build-release.sh'), '--arch', 'x64', '--no-node', '--out', out], {
    env: { KEDGE_RELEASE_CACHE: join(work, 'cache') },
  });
  unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', join(out, `kedge-${version}-linux-x64.tar.gz`), '-C', unpacked]);
  mkdirSync(join(work, 'pack'));
  run('tar', ['-xzf', join(out, `kedge-${version}.tgz`), '-C', join(work, 'pack')]);
  // A scratch root with this machine's accounts, for useradd --root.
  target = join(work, 'target');
  mkdirSync(join(target, 'etc'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'login.defs'])
    if (existsSync(`/etc/${f}`)) copyFileSync(`/etc/${f}`, join(target, 'etc', f));
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package (npm pack)', () => {
  it('holds compiled dist/, the bin, device models and deploy files; no tests, sources, benches or fixtures', () => {
    const list = files(join(work, 'pack', 'package'));
    for (const want of [
      'package.json',
      'LICENSE',
      'README.md',
      'bin/kedge.js',
      'dist/src/cli/main.js',
      'dist/mappers/modbus/index.js',
      'device-models/moxa-iologik-e1214.yaml',
      'ui/index.html',
      'ui/app.js',
      'deploy/install.sh',
      'deploy/systemd/kedge-edge.service',
      'deploy/systemd/kedge-cloud.service',
      'scripts/build.mjs',
    ])
      expect(list).toContain(want);
    const unwanted = list.filter((f) =>
      /(\.test\.js|\.ts|\.map)$|test-support\/|\/testing(\/|\.js$)|\/test-[^/]*\.js$|^(src|mappers|hil-tests|bench|test|docs)\/|fixtures\//.test(
        f,
      ),
    );
    expect(unwanted).toEqual([]);
  });

  it('prepare compiles only where it can: not in an installed package, not without TypeScript (npm ci --omit=dev)', () => {
    const installed = spawnSync(process.execPath, ['scripts/build.mjs', '--if-possible'], {
      cwd: join(work, 'pack', 'package'),
      encoding: 'utf8',
    });
    expect({ status: installed.status, stderr: installed.stderr }).toEqual({ status: 0, stderr: '' });
    expect(existsSync(join(work, 'pack', 'package', 'dist/src/cli/main.js'))).toBe(true);
    // A clone installed without dev dependencies: sources, no TypeScript.
    const clone = join(work, 'clone-without-dev');
    mkdirSync(join(clone, 'scripts'), { recursive: true });
    mkdirSync(join(clone, 'src'));
    copyFileSync(join(repo, 'package.json'), join(clone, 'package.json'));
    copyFileSync(join(repo, 'scripts/build.mjs'), join(clone, 'scripts/build.mjs'));
    const r = spawnSync(process.execPath, ['scripts/build.mjs', '--if-possible'], { cwd: clone, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/TypeScript is not installed \(npm ci --omit=dev\); dist\/ is not compiled/);
    const strict = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: clone, encoding: 'utf8' });
    expect(strict.status).toBe(2);
  });

  it('has no dependency nothing imports, and none that compiles where a prebuilt or pure-JS path exists', () => {
    const pkg = JSON.parse(readFileSync(join(work, 'pack', 'package', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const dist = files(join(work, 'pack', 'package', 'dist'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(work, 'pack', 'package', 'dist', f), 'utf8'))
      .join('\n');
    const unused = Object.keys(pkg.dependencies).filter(
      (d) =>
        // imported, or a file of it named by path (the dashboard serves uPlot's files from node_modules)
        !new RegExp(
          `(from |import |import\\(|require\\(|resolve\\(|requireLazily\\()'${d}(/[^']*)?'|'${d}/[^']+'`,
        ).test(dist) && !NOT_YET_IMPORTED[d],
    );
    expect(unused).toEqual([]);
    expect(Object.keys(pkg.dependencies)).not.toContain('onoff');
    // Packages whose installation runs a build step, in the production tree.
    const nm = join(unpacked, `kedge-${version}-linux-x64`, 'node_modules');
    const building = files(nm)
      .filter((f) => /(^|\/)package\.json$/.test(f) && !/\/(test|example)s?\//.test(f))
      .flatMap((f) => {
        const p = JSON.parse(readFileSync(join(nm, f), 'utf8')) as { name?: string; scripts?: Record<string, string> };
        const s = p.scripts ?? {};
        const dir = join(nm, f, '..');
        const builds =
          s['install'] ??
          s['preinstall'] ??
          s['postinstall'] ??
          (existsSync(join(dir, 'binding.gyp')) ? 'node-gyp' : undefined);
        return builds && p.name ? [`${p.name}: ${builds}`] : [];
      });
    expect([...new Set(building)].sort()).toEqual(Object.keys(INSTALL_SCRIPTS).sort());
  });
});

describe('the linux-x64 artifact, installed by deploy/install.sh', () => {
  it('carries the production tree with better-sqlite3 built, and a RELEASE manifest', () => {
    const dir = join(unpacked, `kedge-${version}-linux-x64`);
    const manifest = readFileSync(join(dir, 'RELEASE'), 'utf8');
    expect(manifest).toMatch(new RegExp(`^version=${version.replace(/\./g, '\\.')}$`, 'm'));
    expect(manifest).toMatch(/^uname_m=x86_64$/m);
    expect(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(dir, 'node'))).toBe(false); // --no-node
    // cpu-features (ssh2's optional binding, through dockerode) is left unbuilt: dockerode loads without it.
    expect(manifest).toMatch(/^native=.*cpu-features@[\d.]+:skipped/m);
    const docker = spawnSync(
      process.execPath,
      [
        '-e',
        "const D = require('dockerode'); if (typeof new D({ socketPath: '/nowhere' }).listContainers !== 'function') process.exit(1)",
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect({ status: docker.status, stderr: docker.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });

  it('installs the user, /opt/kedge, /etc/kedge and the unit with safe permissions', () => {
    const artifact = join(work, 'release', `kedge-${version}-linux-x64.tar.gz`);
    const token = join(work, 'token');
    writeFileSync(token, 'a-join-token-of-32-characters-xx\n');
    run('sh', [
      join(repo, 'deploy/install.sh'),
      '--root',
      target,
      '--artifact',
      artifact,
      '--node',
      'ci-gw',
      '--cloud-url',
      'ws://127.0.0.1:9', // loopback, where nothing answers: the edge keeps working standalone
      '--token-file',
      token,
      '--yes',
    ]);
    const passwd = readFileSync(join(target, 'etc/passwd'), 'utf8');
    const user = passwd.split('\n').find((l) => l.startsWith('kedge:'))!;
    expect(user).toMatch(/^kedge:x:\d+:\d+:[^:]*:\/var\/lib\/kedge:\/usr\/sbin\/nologin$/);
    const [uid, gid] = user.split(':').slice(2, 4).map(Number) as [number, number];
    const mode = (p: string) => {
      const s = statSync(join(target, p));
      return [(s.mode & 0o777).toString(8), s.uid, s.gid];
    };
    expect(mode('etc/kedge')).toEqual(['750', 0, gid]);
    expect(mode('etc/kedge/edge.yaml')).toEqual(['640', 0, gid]);
    expect(mode('etc/kedge/token')).toEqual(['640', 0, gid]);
    expect(mode('var/lib/kedge/edge')).toEqual(['750', uid, gid]);
    expect(mode('opt/kedge/bin/kedge.js').slice(1)).toEqual([0, 0]);
    expect(readFileSync(join(target, 'etc/kedge/token'), 'utf8')).toBe('a-join-token-of-32-characters-xx\n');
    expect(readFileSync(join(target, 'etc/kedge/edge.yaml'), 'utf8')).toMatch(
      /node: ci-gw\n {2}dataDir: \/var\/lib\/kedge\/edge\n {2}cloud: ws:\/\/127\.0\.0\.1:9\n {2}cloudTokenFile: \/etc\/kedge\/token/,
    );
    // No runtime in this artifact (--no-node): the wrapper runs this machine's Node 20.
    expect(readFileSync(join(target, 'opt/kedge/bin/kedge'), 'utf8')).toMatch(
      /\nexec \/\S*node \/opt\/kedge\/bin\/kedge\.js "\$@"\n/,
    );
    const wants = join(target, 'etc/systemd/system/multi-user.target.wants/kedge-edge.service');
    expect(readlinkSync(wants)).toBe('/etc/systemd/system/kedge-edge.service');
    // Again, as an upgrade does: the configuration stays as it was.
    const before = readFileSync(join(target, 'etc/kedge/edge.yaml'), 'utf8');
    const again = run('sh', [join(repo, 'deploy/install.sh'), '--root', target, '--artifact', artifact, '--yes']);
    expect(again).toContain('kept /etc/kedge/edge.yaml');
    expect(readFileSync(join(target, 'etc/kedge/edge.yaml'), 'utf8')).toBe(before);
  });

  it('writes a unit systemd-analyze verify accepts without a word', () => {
    // The unit's paths point into the scratch root so that verify can check ExecStart.
    const unit = readFileSync(join(target, 'etc/systemd/system/kedge-edge.service'), 'utf8');
    const copy = join(work, 'kedge-edge.service');
    writeFileSync(copy, unit.replaceAll('/opt/kedge/', `${target}/opt/kedge/`));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    if (r.error) throw new Error('systemd-analyze is missing (apt-get install systemd)');
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('runs: --version, and the edge as its unit starts it polls a Modbus device; readings reach its broker', async () => {
    const kedge = join(target, 'opt/kedge/bin/kedge.js');
    expect(run(process.execPath, [kedge, '--version']).trim()).toBe(version);
    const [modbusPort, mqttPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const device = join(work, 'e1214.yaml');
    writeFileSync(
      device,
      readFileSync(join(repo, 'device-models/moxa-iologik-e1214.yaml'), 'utf8')
        .replace('nodeName: edge-1', 'nodeName: ci-gw')
        .replace(/port: 5020 .*/, `port: ${modbusPort}`),
    );
    const sim = spawnKedge(['sim', 'modbus', '--model', device, '--tcp', String(modbusPort)], {
      entry: kedge,
      plain: true,
    });
    // The unit's command line; the data dir, the ports and the cloud (none) are this test's.
    const edge = spawnKedge(
      [
        'edge',
        '--config',
        join(target, 'etc/kedge/edge.yaml'),
        '--data-dir',
        join(work, 'edge-data'),
        '--mqtt-port',
        String(mqttPort),
        '--api-port',
        String(apiPort),
      ],
      {
        entry: kedge,
        plain: true,
        env: { KEDGE_EDGE__CLOUD_TOKEN_FILE: join(target, 'etc/kedge/token'), NODE_OPTIONS: '--max-semi-space-size=1' },
      },
    );
    let client: TestClient | undefined;
    try {
      await sim.waitForOutput(/listening on modbus tcp/, 30_000);
      await edge.waitForOutput(/edge node ready/, 60_000);
      client = await TestClient.connect(`mqtt://127.0.0.1:${mqttPort}`, ['$ke/events/device/+/+/data/cleansed']);
      run(process.execPath, [kedge, 'apply', '-f', device, '--edge', '--server', `http://127.0.0.1:${apiPort}`]);
      const topic = '$ke/events/device/default/iologik-e1214-pump-house/data/cleansed';
      const msg = await client.waitFor<{ readings: { property: string; quality: string }[] }>(
        topic,
        (m) => m.readings.some((r) => r.quality === 'good'),
        60_000,
      );
      expect(msg.readings.length).toBeGreaterThan(0);
      expect(await edge.stop()).toBe(0);
    } finally {
      await client?.close();
      await edge.stop();
      await sim.stop();
    }
  });

  it('--uninstall removes the unit, /opt/kedge and the user, keeps configuration and data; --purge removes them', () => {
    run('sh', [join(repo, 'deploy/install.sh'), '--root', target, '--uninstall']);
    expect(existsSync(join(target, 'opt/kedge'))).toBe(false);
    expect(existsSync(join(target, 'etc/systemd/system/kedge-edge.service'))).toBe(false);
    expect(() => lstatSync(join(target, 'etc/systemd/system/multi-user.target.wants/kedge-edge.service'))).toThrow(
      /ENOENT/,
    );
    expect(readFileSync(join(target, 'etc/passwd'), 'utf8')).not.toMatch(/^kedge:/m);
    expect(existsSync(join(target, 'etc/kedge/edge.yaml'))).toBe(true);
    expect(existsSync(join(target, 'var/lib/kedge/edge'))).toBe(true);
    run('sh', [join(repo, 'deploy/install.sh'), '--root', target, '--uninstall', '--purge']);
    expect(existsSync(join(target, 'etc/kedge'))).toBe(false);
    expect(existsSync(join(target, 'var/lib/kedge'))).toBe(false);
  });
});
