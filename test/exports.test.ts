// The published surface: every subpath of the exports map, imported and required through the package name
// (self-reference) from the built dist/, with its exported names pinned. A new or renamed export fails here on purpose.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(root, 'package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  files: string[];
  exports: Record<string, string | { types: string; default: string }>;
};

/** The pinned runtime names of each subpath. */
const pinned: Record<string, string[]> = {
  '.': [
    'CHECK_DEFAULTS',
    'CheckFailedError',
    'CheckPendingError',
    'CheckTimeoutError',
    'DuplicateCheckError',
    'Health',
    'HealthCore',
    'InvalidOptionError',
    'ProbeServerError',
    'ProbekitError',
    'RegistryStoppedError',
    'codes',
    'createHealth',
    'isProbekitError',
  ],
  './fastify': ['Health', 'createHealth', 'default', 'probekit'],
  './express': ['Health', 'createHealth', 'default', 'probekitExpress'],
  './event-loop': ['eventLoopCheck'],
  './http': ['httpCheck'],
  './tcp': ['tcpCheck'],
  './mysql': ['mysqlCheck', 'mysqlPoolCheck'],
  './redis': ['redisCheck'],
  './kafka': ['kafkaCheck', 'kafkaConsumerCheck'],
  './postgres': ['postgresCheck', 'postgresPoolCheck'],
  './command': ['commandCheck'],
  './metrics': ['healthMetrics', 'metricsHandler'],
  './grpc': ['GrpcHealth', 'grpcHealth'],
  './consul': ['ConsulRegistration', 'consulRegistration'],
};

function specifier(subpath: string): string {
  return subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
}

/** Modification time of the newest `.ts` file under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts'))
      latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

t.before(() => {
  // `npm run build`, skipped when dist/ is newer than every source file (other test files may be reading it).
  const built = join(root, 'dist/src/index.js');
  const stale =
    !existsSync(built) || statSync(built).mtimeMs < Math.max(newest(join(root, 'src')), newest(join(root, 'plugins')));
  if (stale) {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'pipe',
    });
  }
});

const names = (mod: object) =>
  Object.keys(mod)
    .filter((k) => k !== '__esModule')
    .sort();

t.test('every pinned subpath is in the exports map', async (t) => {
  for (const subpath of Object.keys(pinned)) t.ok(subpath in pkg.exports, `${subpath} is exported`);
});

for (const subpath of Object.keys(pkg.exports).filter((s) => s in pinned)) {
  t.test(`${specifier(subpath)}: import and require give the pinned names`, async (t) => {
    const entry = pkg.exports[subpath] as { types: string; default: string };
    t.ok(existsSync(join(root, entry.default)), `${entry.default} is built`);
    t.ok(existsSync(join(root, entry.types)), `${entry.types} is built`);
    t.ok(
      pkg.files.some((f) => entry.default.slice(2).startsWith(f) && entry.types.slice(2).startsWith(f)),
      'the targets are in `files`',
    );
    const esm = (await import(specifier(subpath))) as Record<string, unknown>;
    t.same(names(esm), pinned[subpath], 'import()');
    const cjs = require(specifier(subpath)) as Record<string, unknown>;
    t.same(names(cjs), pinned[subpath], 'require() (require(esm), Node >= 20.19)');
    for (const name of pinned[subpath]!) t.equal(cjs[name], esm[name], `${name}: the same binding either way`);
  });
}

t.test('subpaths share one core: a Health from the root works with the framework adapters', async (t) => {
  const core = await import('probekit');
  const fastify = await import('probekit/fastify');
  const express = await import('probekit/express');
  t.equal(fastify.Health, core.Health);
  t.equal(express.Health, core.Health);
  t.equal(fastify.default, fastify.probekit);
  t.equal(express.default, express.probekitExpress);
  const health = core.createHealth({ shutdown: false, logger: { info() {}, warn() {}, error() {}, debug() {} } });
  t.type(health, fastify.Health);
  t.equal(core.codes.INVALID_OPTION, 'PROBEKIT_ERR_OPTION_INVALID');
  t.ok(core.isProbekitError(new core.CheckTimeoutError(5)));
  await health.stop();
});

t.test('the check factories build checks through the package name', async (t) => {
  const { eventLoopCheck } = await import('probekit/event-loop');
  const { httpCheck } = await import('probekit/http');
  const { tcpCheck } = await import('probekit/tcp');
  t.match(eventLoopCheck(), { name: 'event-loop', probes: ['live'] });
  t.match(httpCheck({ url: 'http://127.0.0.1:1/' }), { name: 'http' });
  t.match(tcpCheck({ host: '127.0.0.1', port: 1 }), { name: 'tcp' });
});

t.test('package.json is exported', async (t) => {
  t.equal((require(`${pkg.name}/package.json`) as { name: string }).name, 'probekit');
  t.ok(existsSync(dirname(require.resolve(pkg.name))));
});

t.test('every subpath of the exports map is pinned', async (t) => {
  t.same(
    Object.keys(pkg.exports)
      .filter((p) => p !== './package.json')
      .sort(),
    Object.keys(pinned).sort(),
  );
});
