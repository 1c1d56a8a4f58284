// The package as users get it: `npm pack`, unpacked into a folder of its own, imported by a user's app.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));

t.test('the packed tarball serves a user app through every subpath', async (t) => {
  // Inside the repo so that the app resolves fastify & co. from the repo's node_modules, as a user's would from theirs.
  mkdirSync(join(root, '.tap'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tap', 'pack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, NODE_OPTIONS: '' };
  // --ignore-scripts: `npm test` built the tree before the suite; prepack would build it again under the other test
  // files that import it at the same time.
  execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'npm pack made a tarball');
  const pkg = join(dir, 'node_modules', 'probekit');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, tarball ?? ''), '-C', pkg, '--strip-components=1']);
  t.notOk(readdirSync(pkg).includes('test'), 'no tests in the package');
  copyFileSync(join(root, 'test/pack/user-app.mjs'), join(dir, 'app.mjs'));
  const out = JSON.parse(execFileSync(process.execPath, ['app.mjs'], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 }));
  t.same(out.esm, Array(15).fill('function'), 'every subpath exports its factory');
  t.equal(out.grpc, 'SERVING', 'probekit/grpc answers a grpc-js client');
  t.equal(out.cjs, 'function', 'require(esm) works');
  t.equal(out.invalid, true, 'errors are the exported classes');
  t.equal(out.ready, 200);
  t.match(out.body, { status: 'pass', checks: { db: { status: 'pass' } } });
});
