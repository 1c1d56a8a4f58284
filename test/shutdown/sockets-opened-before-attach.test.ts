// A socket the server accepted before `health.attach(server)` is drained too: a request in flight on it when the
// signal comes still gets its answer, then the process exits cleanly.
import t from 'tap';
import { startChild } from '../helpers/child.js';
import { request } from '../helpers/http-client.js';

t.test('a request on a socket opened before attach() completes through the shutdown', async (t) => {
  const c = startChild('test/shutdown/fixtures/attach-late.ts');
  t.teardown(() => c.child.kill('SIGKILL'));
  const { port } = (await c.next('ready')) as { port: number };
  const slow = request(`http://127.0.0.1:${port}`, '/slow', { timeout: 10_000 });
  await c.next('attached');
  c.child.kill('SIGTERM');
  const res = await slow;
  t.equal(res.statusCode, 200, 'the in-flight request got its answer');
  t.equal(res.body, 'slow done');
  t.equal(await c.exit, 0, 'then the process exited cleanly');
});
