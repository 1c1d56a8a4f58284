// The `fleet` and `shared` options: validated once, with messages naming the option and the value; passed through the
// Fastify plugin and the plugin factories.
import Fastify from 'fastify';
import mysql from 'mysql2/promise';
import t from 'tap';
import { mysqlCheck } from '../../plugins/mysql.js';
import { normalizeCheck } from '../../src/core/options.js';
import probekit from '../../src/fastify/index.js';
import { normalizeFleet } from '../../src/fleet/options.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

const invalid = { code: 'PROBEKIT_ERR_OPTION_INVALID' };

t.test('fleet: defaults, and every bad value refused with its name', async (t) => {
  t.equal(normalizeFleet(undefined), undefined);
  t.same(normalizeFleet({ peers: 'app-headless.default.svc.cluster.local' }), {
    peers: 'app-headless.default.svc.cluster.local',
    port: undefined,
    path: '/ready',
    quorum: 0.5,
    sample: 5,
    timeout: 1000,
    dnsServers: undefined,
  });
  const fn = () => ['10.0.0.1'];
  t.equal(normalizeFleet({ peers: fn })?.peers, fn, 'a function');
  const input = { peers: 'app', dnsServers: ['127.0.0.1:5353'] };
  const n = normalizeFleet(input);
  t.ok(Object.isFrozen(n), 'frozen');
  t.not(n?.dnsServers, input.dnsServers, 'a copy, never the caller’s array');
  const bad: [unknown, RegExp][] = [
    [null, /`fleet` to be an object/],
    ['app', /`fleet` to be an object/],
    [{}, /`fleet.peers` to be a DNS name .* got `undefined`/],
    [{ peers: 'bad name!' }, /`fleet.peers`/],
    [{ peers: '' }, /`fleet.peers`/],
    [{ peers: 7 }, /`fleet.peers`/],
    [{ peers: 'app', port: 0 }, /`fleet.port` to be an integer from 1 to 65535, got `0`/],
    [{ peers: 'app', port: 3000.5 }, /`fleet.port`/],
    [{ peers: 'app', quorum: 0 }, /`fleet.quorum` to be a number in \(0, 1\], got `0`/],
    [{ peers: 'app', quorum: 1.5 }, /`fleet.quorum`/],
    [{ peers: 'app', quorum: Number.NaN }, /`fleet.quorum`/],
    [{ peers: 'app', sample: 0 }, /`fleet.sample` to be an integer from 1 to 100/],
    [{ peers: 'app', timeout: -1 }, /`fleet.timeout`/],
    [{ peers: 'app', path: 'ready' }, /`fleet.path`/],
    [{ peers: 'app', dnsServers: [] }, /`fleet.dnsServers`/],
    [{ peers: 'app', dnsServers: ['not an address'] }, /`fleet.dnsServers`/],
    [{ peers: 'app', quorom: 0.5 }, /Unknown option `fleet.quorom`/],
  ];
  for (const [value, message] of bad) t.throws(() => normalizeFleet(value), { ...invalid, message }, String(message));
  t.throws(
    () => createHealth({ fleet: { peers: 'app', sample: 1000 } }),
    { ...invalid, message: /fleet.sample/ },
    'createHealth refuses it',
  );
});

t.test('shared: a boolean; without its own `fatal` a shared check waits for its threshold', async (t) => {
  const run = async () => {};
  t.equal(normalizeCheck({ name: 'db', run }, {}).shared, false);
  const shared = normalizeCheck({ name: 'db', run, shared: true }, {});
  t.equal(shared.shared, true);
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  t.equal(shared.fatal(refused), false, 'a refused connection is not fatal for a shared check');
  t.equal(normalizeCheck({ name: 'db', run }, {}).fatal(refused), true, 'it still is for the others');
  const own = () => true;
  t.equal(normalizeCheck({ name: 'db', run, shared: true, fatal: own }, {}).fatal, own, 'a `fatal` of its own is kept');
  t.throws(() => normalizeCheck({ name: 'db', run, shared: 'yes' }, {}), {
    ...invalid,
    message: /check `db`: Expected `shared` to be a boolean, got `"yes"`/,
  });
  t.equal(normalizeCheck({ name: 'db', run }, { shared: true }).shared, true, 'from `defaults` too');
});

t.test('mysqlCheck passes `shared` through; the Fastify plugin passes `fleet` through', async (t) => {
  const pool = mysql.createPool({ host: '127.0.0.1', port: 1, user: 'x' });
  t.teardown(() => pool.end());
  const check = mysqlCheck({ pool, shared: true });
  t.equal(check.shared, true);
  const app = Fastify({ logger: false });
  const logger = recordingLogger();
  await app.register(probekit, { checks: [check], fleet: { peers: () => [] }, logger, shutdown: false });
  await app.ready();
  t.equal(app.health.hasFleet, true);
  t.same(app.health.sharedStatus(), [{ check: 'mysql', failing: 0, answered: 0, shared: false }]);
  await app.close();
  const bad = Fastify({ logger: false });
  await t.rejects(
    async () => {
      await bad.register(probekit, { fleet: { peers: 'app', quorum: 2 } });
      await bad.ready();
    },
    { ...invalid, message: /fleet.quorum/ },
  );
  await bad.close();
});
