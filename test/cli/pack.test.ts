// The executable as `npm pack` ships it: unpacked far from the repo (no node_modules anywhere above it), run by its
// shebang, it probes a real server. It needs nothing but Node.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { childEnv, ensureBuilt, finished, ROOT } from './cli.js';
import { probeServer } from './servers.js';

ensureBuilt();

t.test('the packed bin runs on its own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'probekit-cli-pack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // --ignore-scripts: the build is already there (ensureBuilt), and prepack would rebuild the whole tree.
  execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'npm pack made a tarball');
  execFileSync('tar', ['-xzf', join(dir, tarball ?? ''), '-C', dir]);
  const pkg = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8')) as { bin?: Record<string, string> };
  t.same(pkg.bin, { probekit: 'dist/src/cli/probekit.cjs' });
  const bin = join(dir, 'package', pkg.bin?.probekit ?? '');
  t.match(readFileSync(bin, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'a shebang line');
  // npm sets the mode of bin files when it installs them; the unpacked file is made executable here the same way.
  chmodSync(bin, 0o755);

  const server = await probeServer();
  t.teardown(() => server.close());
  const run = await finished(
    spawn(bin, ['probe', `${server.origin}/live`], { cwd: dir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  t.equal(run.code, 0, 'healthy, run by its shebang');
  t.match(run.stdout, /^healthy: /);
  const version = execFileSync(bin, ['--version'], { cwd: dir, env: childEnv(), encoding: 'utf8' });
  t.match(version, /^probekit \d+\.\d+\.\d+\n$/);
});
