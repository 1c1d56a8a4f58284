// The probe server from the packed tarball: its thread finds `worker.js` in the built package, no TypeScript loader.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));

t.test('the packed package starts the probe server’s thread from its built worker', async (t) => {
  // Inside the repo so that the app resolves probekit's dependencies from the repo's node_modules.
  mkdirSync(join(root, '.tap'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tap', 'pack-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, NODE_OPTIONS: '' };
  // The build is `npm test`'s pretest step: packing it as it is keeps this test from building a second time.
  execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz')) ?? '';
  const pkg = join(dir, 'node_modules', 'probekit');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', pkg, '--strip-components=1']);
  t.ok(readdirSync(join(pkg, 'dist/src/probe-server')).includes('worker.js'), 'worker.js is in the package');
  copyFileSync(join(root, 'test/probe-server/fixtures/packed-app.mjs'), join(dir, 'app.mjs'));
  const out = JSON.parse(execFileSync(process.execPath, ['app.mjs'], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 }));
  t.equal(out.status, 200, 'the probe server answered /ready');
  t.match(out.body, { status: 'pass', checks: { db: { status: 'pass' } } }, 'with the registry’s state');
});
