// The HTTP contract as ONE table, and a runner that plays it against any adapter (Fastify plugin, Express router,
// node:http layer). Each case sets up checks in known states (fake clock, checks whose results the table fixes),
// sends one request and checks status, headers and body shape. Every GET case is replayed as HEAD.
import type tap from 'tap';
import type { HealthOptions } from '../../src/core/health.js';
import type { Check, CheckDetails, Probe } from '../../src/core/types.js';
import type { Health } from '../../src/health.js';
import type { HttpOptions } from '../../src/http/contract.js';
import { at, fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';

/** The test object tap hands to a subtest callback. */
export type Tap = Parameters<Parameters<typeof tap.test>[0]>[0];

/** A request of the table. */
export interface ContractRequest {
  method: 'GET' | 'HEAD' | 'POST';
  path: string;
  /** Raw query string without `?`, sent as is (malformed ones included). */
  query?: string;
  headers?: Record<string, string>;
}

/** A response as an adapter reports it: headers with lower-case names, the body as text. */
export interface ContractResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** What an adapter factory returns: its registry (to hold it), a way to send a request, and cleanup. */
export interface ContractAdapter {
  /** The registry the adapter serves; the runner starts it (idempotent) and holds it. */
  readonly health: Health;
  inject(request: { method: string; url: string; headers: Record<string, string> }): Promise<ContractResponse>;
  close(): Promise<void>;
}

/**
 * Builds an app that serves the probes from a registry made with `healthOptions` (its `timers` are a fake clock the
 * runner drives) and the HTTP options `httpOptions`. It resolves once requests can be sent.
 */
export type AdapterFactory = (healthOptions: HealthOptions, httpOptions: HttpOptions<unknown>) => Promise<ContractAdapter>;

/**
 * One step of a check's history, one per round (1000 ms of fake time apart; the last step repeats):
 * `pass`, `fail` (plain Error `down`), `{ fail: message }`, `{ pass: details }`, or `hang` (never settles: times out).
 */
export type Step = 'pass' | 'fail' | 'hang' | { fail: string } | { pass: CheckDetails };

/** A check of a case. No steps: the check's first run never settles, so it stays `unknown`. */
export interface CheckSetup {
  name: string;
  probes?: Probe[];
  critical?: boolean;
  steps: Step[];
}

/** What a case expects. */
export interface Expected {
  /** The status code, or the codes allowed (malformed requests: a clean 4xx or a normal answer). */
  status: number | number[];
  /** Exact `content-type` of a probe answer, which also carries `cache-control: no-store`. */
  contentType?: string;
  /** A tap `match` pattern for the parsed JSON body. */
  json?: unknown;
  /** Exactly these check names in `checks`, in this order. */
  checkNames?: string[];
  /** The exact lines of a text body. */
  lines?: string[];
  /** Text that must not appear anywhere in the body. */
  absent?: string[];
}

/** One row of the table. */
export interface ContractCase {
  name: string;
  checks: CheckSetup[];
  /** Holds readiness with this reason before the request. */
  hold?: string;
  http?: HttpOptions<unknown>;
  request: ContractRequest;
  expect: Expected;
  /** Replay a GET as HEAD (default true for GET). */
  head?: boolean;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HEALTH_JSON_TYPE = 'application/health+json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** An error message with a credential in a URL and a stack-like tail: neither may ever reach a body. */
const SECRET_ERROR = 'connect to mysql://app:s3cr3t@db.internal:3306/main failed\n    at Socket.connect (node:net:1:1)';
const MASKED_ERROR = 'connect to mysql://***@db.internal:3306/main failed';
const LEAKS = ['s3cr3t', 'app:', 'node:net', '    at '];
/** A valid check name longer than Fastify's default `maxParamLength` (100). */
const LONG_NAME = `db-${'x'.repeat(107)}`;

const get = (path: string, query?: string, headers?: Record<string, string>): ContractRequest => ({
  method: 'GET',
  path,
  ...(query !== undefined && { query }),
  ...(headers !== undefined && { headers }),
});

/** A passing check's body entry after one successful run at fake time 0. */
const passedAt0 = (critical = true) => ({
  status: 'pass',
  critical,
  since: at(0),
  lastRun: at(0),
  durationMs: 0,
  consecutiveFailures: 0,
  consecutiveSuccesses: 1,
});

const db: CheckSetup = { name: 'db', steps: ['pass'] };
const dbDown: CheckSetup = { name: 'db', steps: ['pass', 'fail'] };
const cacheDown: CheckSetup = { name: 'cache', steps: ['pass', { fail: SECRET_ERROR }] };
const queueDown: CheckSetup = { name: 'queue', steps: ['pass', 'fail'] };
const searchDown: CheckSetup = { name: 'search', critical: false, steps: ['pass', 'fail'] };
const loop: CheckSetup = { name: 'loop', probes: ['live'], steps: ['pass'] };
const showDetails = (request: unknown) =>
  (request as { headers?: Record<string, unknown> }).headers?.['x-probe-details'] === 'yes';

/** The contract. */
export const contractCases: ContractCase[] = [
  // --- /live ---------------------------------------------------------------------------------------------------
  {
    name: 'GET /live with no live check passes',
    checks: [db],
    request: get('/live'),
    expect: { status: 200, contentType: JSON_TYPE, json: { status: 'pass', checks: {} }, checkNames: [] },
  },
  {
    name: 'GET /live passes with a passing live check',
    checks: [db, loop],
    request: get('/live'),
    expect: {
      status: 200,
      contentType: JSON_TYPE,
      json: { status: 'pass', checks: { loop: passedAt0() } },
      checkNames: ['loop'],
    },
  },
  {
    name: 'GET /live: an unknown live check passes',
    checks: [{ name: 'loop', probes: ['live'], steps: [] }],
    request: get('/live'),
    expect: { status: 200, json: { status: 'pass', checks: { loop: { status: 'unknown', since: null, lastRun: null } } } },
  },
  {
    name: 'GET /live: a failing critical live check answers 503',
    checks: [db, { name: 'loop', probes: ['live'], steps: ['pass', 'fail'] }],
    request: get('/live'),
    expect: { status: 503, contentType: JSON_TYPE, json: { status: 'fail', checks: { loop: { status: 'fail' } } } },
  },
  {
    name: 'GET /live: a failing non-critical live check answers 200 warn',
    checks: [{ name: 'loop', probes: ['live'], critical: false, steps: ['pass', 'fail'] }],
    request: get('/live'),
    expect: { status: 200, json: { status: 'warn', checks: { loop: { status: 'fail', critical: false } } } },
  },
  {
    name: 'GET /live: failing ready checks and holds do not touch liveness',
    checks: [dbDown, loop],
    hold: 'warming cache',
    request: get('/live'),
    expect: { status: 200, json: { status: 'pass' }, checkNames: ['loop'] },
  },
  // --- /ready --------------------------------------------------------------------------------------------------
  {
    name: 'GET /ready: all checks pass; the full body',
    checks: [db, loop],
    request: get('/ready'),
    expect: { status: 200, contentType: JSON_TYPE, json: { status: 'pass', checks: { db: passedAt0() } }, checkNames: ['db'] },
  },
  {
    name: 'GET /ready: a failing critical check answers 503 and its reason is withheld',
    checks: [db, cacheDown],
    request: get('/ready'),
    expect: {
      status: 503,
      contentType: JSON_TYPE,
      json: {
        status: 'fail',
        checks: {
          db: { status: 'pass' },
          cache: {
            status: 'fail',
            critical: true,
            since: at(1000),
            lastRun: at(1000),
            durationMs: 0,
            consecutiveFailures: 1,
            consecutiveSuccesses: 0,
            output: 'reason withheld',
          },
        },
      },
      // Failing checks come first, so the kubelet's first 10 KiB show them.
      checkNames: ['cache', 'db'],
      absent: [...LEAKS, 'mysql'],
    },
  },
  {
    name: 'GET /ready: an unknown critical check is not ready (startup not complete)',
    checks: [db, { name: 'cache', steps: [] }],
    request: get('/ready'),
    expect: {
      status: 503,
      json: { status: 'fail', reason: 'startup not complete', checks: { cache: { status: 'unknown' } } },
    },
  },
  {
    name: 'GET /ready: a failing non-critical check answers 200 warn',
    checks: [db, searchDown],
    request: get('/ready'),
    expect: { status: 200, json: { status: 'warn', checks: { search: { status: 'fail', critical: false } } } },
  },
  {
    name: 'GET /ready: an unknown non-critical check does not block readiness',
    checks: [db, { name: 'search', critical: false, steps: [] }],
    request: get('/ready'),
    expect: { status: 200, json: { status: 'pass', checks: { search: { status: 'unknown' } } } },
  },
  {
    name: 'GET /ready: held answers 503 with the reason',
    checks: [db],
    hold: 'warming cache',
    request: get('/ready'),
    expect: { status: 503, json: { status: 'fail', reason: 'warming cache', checks: { db: { status: 'pass' } } } },
  },
  {
    name: 'GET /ready: a hold reason is sanitised',
    checks: [db],
    hold: 'loading redis://u:pw1234@cache:6379\n  at load (/srv/app.js:1:1)',
    request: get('/ready'),
    expect: { status: 503, json: { reason: 'loading redis://***@cache:6379' }, absent: ['pw1234', 'app.js'] },
  },
  {
    name: 'GET /ready: a run that timed out shows `timed out after N ms` with details',
    checks: [db, { name: 'slow', steps: ['pass', 'hang'] }],
    http: { details: 'always' },
    request: get('/ready'),
    expect: { status: 503, json: { checks: { slow: { status: 'fail', output: 'timed out after 500 ms', durationMs: 500 } } } },
  },
  // --- /startup ------------------------------------------------------------------------------------------------
  {
    name: 'GET /startup before the critical ready checks passed answers 503',
    checks: [db, { name: 'cache', steps: [] }],
    request: get('/startup'),
    expect: { status: 503, contentType: JSON_TYPE, json: { status: 'fail' } },
  },
  {
    name: 'GET /startup once every critical ready check passed answers 200',
    checks: [db, { name: 'search', critical: false, steps: [] }],
    request: get('/startup'),
    // The non-critical one has not passed yet: it is listed before the passing one.
    expect: { status: 200, json: { status: 'pass' }, checkNames: ['search', 'db'] },
  },
  {
    name: 'GET /startup stays 200 when a check fails later',
    checks: [dbDown],
    request: get('/startup'),
    expect: { status: 200, json: { status: 'pass', checks: { db: { status: 'fail' } } } },
  },
  {
    name: 'GET /startup: checks that list startup gate it alone',
    checks: [db, { name: 'boot', probes: ['startup'], steps: [] }],
    request: get('/startup'),
    expect: { status: 503, checkNames: ['boot'] },
  },
  {
    name: 'GET /startup: an explicit startup check passed, an unknown ready check does not gate it',
    checks: [
      { name: 'db', steps: [] },
      { name: 'boot', probes: ['startup'], steps: ['pass'] },
    ],
    request: get('/startup'),
    expect: { status: 200, checkNames: ['boot'] },
  },
  // --- details -------------------------------------------------------------------------------------------------
  {
    name: "details: 'always' shows the error, without credentials or stack",
    checks: [db, cacheDown],
    http: { details: 'always' },
    request: get('/ready'),
    expect: { status: 503, json: { checks: { cache: { output: MASKED_ERROR } } }, absent: LEAKS },
  },
  {
    name: 'details: a predicate that says yes shows the error',
    checks: [db, cacheDown],
    http: { details: showDetails },
    request: get('/ready', undefined, { 'x-probe-details': 'yes' }),
    expect: { status: 503, json: { checks: { cache: { output: MASKED_ERROR } } }, absent: LEAKS },
  },
  {
    name: 'details: a predicate that says no withholds the error',
    checks: [db, cacheDown],
    http: { details: showDetails },
    request: get('/ready'),
    expect: { status: 503, json: { checks: { cache: { output: 'reason withheld' } } }, absent: [...LEAKS, 'mysql'] },
  },
  {
    name: 'details: a throwing predicate withholds the error',
    checks: [db, cacheDown],
    http: {
      details: () => {
        throw new Error('predicate bug');
      },
    },
    request: get('/ready'),
    expect: { status: 503, json: { checks: { cache: { output: 'reason withheld' } } }, absent: ['predicate bug'] },
  },
  {
    name: "details: 'never' withholds the error",
    checks: [cacheDown],
    http: { details: 'never' },
    request: get('/ready'),
    expect: { status: 503, json: { checks: { cache: { output: 'reason withheld' } } }, absent: [...LEAKS, 'mysql'] },
  },
  {
    name: 'a passing check output and observed value show, credentials masked',
    checks: [
      {
        name: 'lag',
        steps: [{ pass: { observedValue: 12.5, observedUnit: 'ms', output: 'replica postgres://u:hunter2@pg/x' } }],
      },
    ],
    request: get('/ready'),
    expect: {
      status: 200,
      json: { checks: { lag: { observedValue: 12.5, observedUnit: 'ms', output: 'replica postgres://***@pg/x' } } },
      absent: ['hunter2'],
    },
  },
  // --- one check -----------------------------------------------------------------------------------------------
  {
    name: 'GET /ready/<name> of a passing check answers 200 with that check only',
    checks: [db, cacheDown],
    request: get('/ready/db'),
    expect: {
      status: 200,
      contentType: JSON_TYPE,
      json: { status: 'pass', checks: { db: { ...passedAt0(), lastRun: at(1000), consecutiveSuccesses: 2 } } },
      checkNames: ['db'],
    },
  },
  {
    name: 'GET /ready/<name> of a failing check answers 503',
    checks: [db, cacheDown],
    request: get('/ready/cache'),
    expect: { status: 503, json: { status: 'fail', checks: { cache: { output: 'reason withheld' } } }, checkNames: ['cache'] },
  },
  {
    name: 'GET /ready/<name> ignores holds (the check alone)',
    checks: [db],
    hold: 'warming cache',
    request: get('/ready/db'),
    expect: { status: 200, checkNames: ['db'] },
  },
  {
    name: 'GET /live/<name> of an unknown live check answers 200',
    checks: [{ name: 'loop', probes: ['live'], steps: [] }],
    request: get('/live/loop'),
    expect: { status: 200, checkNames: ['loop'] },
  },
  {
    name: 'GET /startup/<name> answers for one startup member',
    checks: [dbDown],
    request: get('/startup/db'),
    expect: { status: 200, checkNames: ['db'] },
  },
  {
    name: 'GET /ready/<unknown name> answers a JSON 404',
    checks: [db],
    request: get('/ready/nope'),
    expect: {
      status: 404,
      contentType: JSON_TYPE,
      json: { status: 'error', error: 'Not Found', message: 'No ready check named "nope"' },
    },
  },
  {
    name: 'GET /live/<name> of a check that is not a live check answers 404',
    checks: [db],
    request: get('/live/db'),
    expect: { status: 404, contentType: JSON_TYPE, json: { status: 'error' } },
  },
  {
    name: 'GET /ready/<a>/<b> answers a JSON 404',
    checks: [db],
    request: get('/ready/db/extra'),
    expect: { status: 404, contentType: JSON_TYPE },
  },
  {
    name: 'GET /ready/ (trailing slash, empty name) answers a JSON 404',
    checks: [db],
    request: get('/ready/'),
    expect: { status: 404, contentType: JSON_TYPE, json: { status: 'error', error: 'Not Found' } },
  },
  {
    name: 'GET /ready/<encoded slash> is one (unknown) name, not a path',
    checks: [db],
    request: get('/ready/db%2Fx'),
    // Not a check name's shape: answered without echoing what the client sent.
    expect: { status: 404, contentType: JSON_TYPE, json: { message: 'No ready check with that name' } },
  },
  {
    name: 'GET /ready/<percent-encoded name> is decoded',
    checks: [{ name: 'db.main', steps: ['pass'] }],
    request: get('/ready/db%2Emain'),
    expect: { status: 200, checkNames: ['db.main'] },
  },
  // --- ?verbose ------------------------------------------------------------------------------------------------
  {
    name: 'GET /ready?verbose: text lines, failure withheld',
    checks: [db, cacheDown],
    request: get('/ready', 'verbose'),
    expect: {
      status: 503,
      contentType: TEXT_TYPE,
      lines: ['[-]cache failed: reason withheld', '[+]db ok', 'ready check failed'],
      absent: LEAKS,
    },
  },
  {
    name: 'GET /ready?verbose when all pass',
    checks: [db, { name: 'cache', steps: ['pass'] }],
    request: get('/ready', 'verbose'),
    expect: { status: 200, contentType: TEXT_TYPE, lines: ['[+]db ok', '[+]cache ok', 'ready check passed'] },
  },
  {
    name: 'GET /ready?verbose=1 with details shows the sanitised reason',
    checks: [cacheDown],
    http: { details: 'always' },
    request: get('/ready', 'verbose=1'),
    expect: { status: 503, lines: [`[-]cache failed: ${MASKED_ERROR}`, 'ready check failed'], absent: LEAKS },
  },
  {
    name: 'GET /ready?verbose: warnings, unknown checks and gates get their own lines',
    checks: [searchDown, { name: 'queue', steps: [] }],
    hold: 'warming cache',
    request: get('/ready', 'verbose'),
    expect: {
      status: 503,
      lines: [
        '[-]queue failed: no result yet',
        '[!]search warn (non-critical): reason withheld',
        '[-]hold failed: warming cache',
        '[-]startup failed: startup not complete',
        'ready check failed',
      ],
    },
  },
  {
    name: 'GET /live?verbose with an unknown live check',
    checks: [{ name: 'loop', probes: ['live'], steps: [] }],
    request: get('/live', 'verbose'),
    expect: { status: 200, contentType: TEXT_TYPE, lines: ['[+]loop ok (no result yet)', 'live check passed'] },
  },
  {
    name: 'GET /ready?verbose=false answers JSON',
    checks: [db],
    request: get('/ready', 'verbose=false'),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'GET /ready/<name>?verbose answers text for one check',
    checks: [db, cacheDown],
    request: get('/ready/db', 'verbose'),
    expect: { status: 200, contentType: TEXT_TYPE, lines: ['[+]db ok', 'ready check passed'] },
  },
  // --- ?exclude ------------------------------------------------------------------------------------------------
  {
    name: 'GET /ready?exclude=<name> ignores that check',
    checks: [db, cacheDown],
    request: get('/ready', 'exclude=cache'),
    expect: { status: 200, json: { status: 'pass' }, checkNames: ['db'] },
  },
  {
    name: 'GET /ready?exclude is repeatable',
    checks: [db, cacheDown, queueDown],
    request: get('/ready', 'exclude=cache&exclude=queue'),
    expect: { status: 200, checkNames: ['db'] },
  },
  {
    name: 'GET /ready?exclude=<one of two failing> still fails',
    checks: [db, cacheDown, queueDown],
    request: get('/ready', 'exclude=cache'),
    expect: { status: 503, checkNames: ['queue', 'db'] },
  },
  {
    name: 'GET /ready?exclude=<unknown name> is ignored',
    checks: [db, cacheDown],
    request: get('/ready', 'exclude=nope'),
    expect: { status: 503, checkNames: ['cache', 'db'] },
  },
  {
    name: 'GET /ready?exclude does not lift a hold',
    checks: [db],
    hold: 'warming cache',
    request: get('/ready', 'exclude=db'),
    expect: { status: 503, json: { reason: 'warming cache' }, checkNames: [] },
  },
  {
    name: 'GET /ready?verbose&exclude=<name> marks it excluded',
    checks: [db, cacheDown],
    request: get('/ready', 'verbose&exclude=cache'),
    expect: { status: 200, lines: ['[+]db ok', '[+]cache excluded: ok', 'ready check passed'] },
  },
  // --- Accept: application/health+json -------------------------------------------------------------------------
  {
    name: 'Accept: application/health+json gets that media type and shape',
    checks: [db, searchDown],
    request: get('/ready', undefined, { accept: 'application/health+json' }),
    expect: {
      status: 200,
      contentType: HEALTH_JSON_TYPE,
      json: {
        status: 'warn',
        checks: {
          'db:responseTime': [
            {
              componentId: 'db',
              componentType: 'component',
              status: 'pass',
              observedValue: 0,
              observedUnit: 'ms',
              time: at(1000),
            },
          ],
          'search:responseTime': [{ componentId: 'search', status: 'warn', output: 'reason withheld' }],
        },
      },
    },
  },
  {
    name: 'Accept: application/health+json when held puts the reason in `output`',
    checks: [db],
    hold: 'warming cache',
    request: get('/ready', undefined, { accept: 'application/health+json, application/json;q=0.9' }),
    expect: { status: 503, contentType: HEALTH_JSON_TYPE, json: { status: 'fail', output: 'warming cache' } },
  },
  {
    name: 'Accept: application/json gets plain JSON',
    checks: [db],
    request: get('/ready', undefined, { accept: 'application/json' }),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'Accept: health+json with q=0 is not acceptable: plain JSON',
    checks: [db],
    request: get('/ready', undefined, { accept: 'application/health+json;q=0, application/json' }),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'Accept: the higher q-value wins (JSON at 1, health+json at 0.5)',
    checks: [db],
    request: get('/ready', undefined, { accept: 'application/health+json; q=0.5, application/json' }),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'Accept: the higher q-value wins (health+json at 0.9, JSON at 0.8), whatever the order',
    checks: [db],
    request: get('/ready', undefined, { accept: 'application/json;q=0.8, APPLICATION/HEALTH+JSON;q=0.9' }),
    expect: { status: 200, contentType: HEALTH_JSON_TYPE },
  },
  {
    name: 'Accept: a tie keeps health+json',
    checks: [db],
    request: get('/ready', undefined, { accept: 'application/json, application/health+json' }),
    expect: { status: 200, contentType: HEALTH_JSON_TYPE },
  },
  {
    name: 'Accept: a bare wildcard gets plain JSON',
    checks: [db],
    request: get('/ready', undefined, { accept: '*/*' }),
    expect: { status: 200, contentType: JSON_TYPE },
  },
  // --- paths and prefix ----------------------------------------------------------------------------------------
  {
    name: 'prefix: probes move under it',
    checks: [db],
    http: { prefix: '/health' },
    request: get('/health/ready'),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'prefix: one check under the prefix',
    checks: [db],
    http: { prefix: '/health' },
    request: get('/health/ready/db'),
    expect: { status: 200, checkNames: ['db'] },
  },
  {
    name: 'prefix: the bare path is not served',
    checks: [db],
    http: { prefix: '/health' },
    request: get('/ready'),
    expect: { status: 404 },
  },
  {
    name: 'paths: a custom path serves the probe',
    checks: [loop],
    http: { paths: { live: '/healthz' } },
    request: get('/healthz'),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['loop'] },
  },
  {
    name: 'paths: the default path of a moved probe is not served',
    checks: [loop],
    http: { paths: { live: '/healthz' } },
    request: get('/live'),
    expect: { status: 404 },
  },
  {
    name: 'paths: false turns a probe off',
    checks: [db],
    http: { paths: { startup: false } },
    request: get('/startup'),
    expect: { status: 404 },
  },
  {
    name: 'paths and prefix together',
    checks: [db],
    http: { prefix: '/_', paths: { ready: '/readyz' } },
    request: get('/_/readyz', 'verbose'),
    expect: { status: 200, lines: ['[+]db ok', 'ready check passed'] },
  },
  // --- statusCodes (issue 12): Consul reads 429 as warning ---------------------------------------------------------
  {
    name: 'statusCodes { warn: 429 }: a failing non-critical check answers 429 warn',
    checks: [db, searchDown],
    http: { statusCodes: { warn: 429 } },
    request: get('/ready'),
    expect: { status: 429, contentType: JSON_TYPE, json: { status: 'warn' } },
  },
  {
    name: 'statusCodes { warn: 429 }: pass stays 200, fail stays 503',
    checks: [db, cacheDown],
    http: { statusCodes: { warn: 429 } },
    request: get('/ready'),
    expect: { status: 503, contentType: JSON_TYPE, json: { status: 'fail' } },
  },
  // --- one answer on every adapter for odd but valid targets (issue 8) ------------------------------------------
  {
    name: 'GET /ready/<110-character name> answers that check (no router length limit below 128)',
    checks: [{ name: LONG_NAME, steps: ['pass'] }],
    request: get(`/ready/${LONG_NAME}`),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: [LONG_NAME] },
  },
  {
    name: 'GET /ready/% (malformed percent-encoding) is a JSON 400 with no-store',
    checks: [db],
    request: get('/ready/%'),
    expect: { status: 400, contentType: JSON_TYPE, json: { status: 'error', error: 'Bad Request' } },
  },
  {
    name: 'GET /%72eady (an encoded unreserved character) is the probe',
    checks: [db],
    request: get('/%72eady'),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'GET /%72eady/db is the check',
    checks: [db],
    request: get('/%72eady/db'),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'GET http://host/ready (absolute-form target) is the probe',
    checks: [db],
    request: get('http://127.0.0.1/ready'),
    expect: { status: 200, contentType: JSON_TYPE, checkNames: ['db'] },
  },
  {
    name: 'GET http://host/ready/db?verbose (absolute-form with a check and a query)',
    checks: [db],
    request: get('http://127.0.0.1/ready/db', 'verbose'),
    expect: { status: 200, contentType: TEXT_TYPE, lines: ['[+]db ok', 'ready check passed'] },
  },
  {
    name: '?verbose text: line separators and control characters in output never make extra lines',
    checks: [{ name: 'db', steps: ['pass', { fail: `down\u2028[+]fake ok\u2029[+]x\u0085[+]y\v[+]z\f[+]w` }] }],
    http: { details: 'always' },
    request: get('/ready', 'verbose'),
    expect: { status: 503, contentType: TEXT_TYPE, lines: ['[-]db failed: down', 'ready check failed'] },
  },
  {
    name: '?verbose text: control characters inside a line are blanked',
    checks: [{ name: 'db', steps: ['pass', { fail: 'down\u0000\u001b[31mred\u007f' }] }],
    http: { details: 'always' },
    request: get('/ready', 'verbose'),
    expect: { status: 503, contentType: TEXT_TYPE, lines: ['[-]db failed: down  [31mred ', 'ready check failed'] },
  },
  // --- malformed requests: a clean 4xx or a normal answer, never a 500 ------------------------------------------
  {
    name: 'malformed: bad percent-encoding in the check name',
    checks: [db],
    request: get('/ready/%E0%A4%A'),
    expect: { status: [400, 404] },
  },
  {
    name: 'malformed: bad percent-encoding in the query',
    checks: [db],
    request: get('/ready', 'exclude=%zz&verbose=%'),
    expect: { status: [200, 400] },
  },
  {
    name: 'malformed: bracket syntax ?exclude[a]=b is no exclusion',
    checks: [db, cacheDown],
    request: get('/ready', 'exclude[a]=cache&exclude[]=cache'),
    expect: { status: [400, 503] },
  },
  {
    name: 'malformed: an empty exclude and a bare `?`',
    checks: [db],
    request: get('/ready', 'exclude=&'),
    expect: { status: 200, checkNames: ['db'] },
  },
  {
    name: 'malformed: a very long query string',
    checks: [db],
    request: get('/ready', `exclude=${'x'.repeat(64 * 1024)}`),
    expect: { status: [200, 400, 414, 431] },
    // Node rejects it before Fastify (431); Fastify's client-error answer has a body even for HEAD, which breaks
    // the HEAD client, so only GET is sent.
    head: false,
  },
  {
    name: 'malformed: many exclude parameters',
    checks: [db],
    request: get('/ready', Array.from({ length: 2000 }, (_, i) => `exclude=c${i}`).join('&')),
    expect: { status: [200, 400, 414, 431] },
    // Node rejects it before Fastify (431); Fastify's client-error answer has a body even for HEAD, which breaks
    // the HEAD client, so only GET is sent.
    head: false,
  },
  {
    name: 'malformed: a weird Accept header',
    checks: [db],
    request: get('/ready', undefined, { accept: `${'a'.repeat(4000)}/health+json;;;q=x` }),
    expect: { status: 200 },
  },
  {
    name: 'POST /ready is not a probe',
    checks: [db],
    request: { method: 'POST', path: '/ready' },
    expect: { status: [404, 405] },
  },
];

/** Body-shape rules every JSON answer must follow, beyond what a case pins. */
function checkJsonShape(t: Tap, body: Record<string, unknown>, contentType: string): void {
  if (contentType === JSON_TYPE && body.checks !== undefined) {
    t.ok(['pass', 'warn', 'fail'].includes(body.status as string), 'status word');
    for (const key of Object.keys(body)) t.ok(['status', 'reason', 'checks'].includes(key), `known top-level key ${key}`);
    const required = ['status', 'critical', 'since', 'lastRun', 'durationMs', 'consecutiveFailures', 'consecutiveSuccesses'];
    const optional = ['observedValue', 'observedUnit', 'output'];
    for (const [name, c] of Object.entries(body.checks as Record<string, Record<string, unknown>>)) {
      for (const key of required) t.ok(key in c, `check ${name} has ${key}`);
      for (const key of Object.keys(c)) t.ok(required.includes(key) || optional.includes(key), `check ${name}: known key ${key}`);
      t.ok(['pass', 'fail', 'unknown'].includes(c.status as string));
      t.type(c.critical, 'boolean');
      t.ok(c.since === null || typeof c.since === 'string');
      t.ok(c.lastRun === null || typeof c.lastRun === 'string');
      t.ok(c.durationMs === null || typeof c.durationMs === 'number');
      t.ok(Number.isInteger(c.consecutiveFailures) && Number.isInteger(c.consecutiveSuccesses));
    }
  }
  if (contentType === HEALTH_JSON_TYPE) {
    t.ok(['pass', 'warn', 'fail'].includes(body.status as string), 'status word');
    for (const entries of Object.values(body.checks as Record<string, unknown[]>)) {
      t.ok(Array.isArray(entries) && entries.length === 1, 'one entry per component');
    }
  }
}

function header(res: ContractResponse, name: string): string | undefined {
  const v = res.headers[name];
  return v === undefined ? undefined : String(v);
}

/** Builds the check objects of a case; `round` selects each check's current step. */
function buildChecks(setups: CheckSetup[], clock: { round: number }): Check[] {
  return setups.map((s) => ({
    name: s.name,
    ...(s.probes !== undefined && { probes: s.probes }),
    ...(s.critical !== undefined && { critical: s.critical }),
    failureThreshold: 1,
    // Rounds are exactly 1000 ms apart: a fixed schedule.
    jitter: 0,
    // A check without steps never gets a second run, nor a timeout, within the few rounds of a case.
    ...(s.steps.length === 0 ? { interval: 600_000, timeout: 300_000 } : { interval: 1000, timeout: 500 }),
    run(signal: AbortSignal) {
      const step = s.steps[Math.min(clock.round, s.steps.length - 1)];
      if (step === undefined || step === 'hang') {
        return new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        );
      }
      if (step === 'pass') return Promise.resolve();
      if (step === 'fail') return Promise.reject(new Error('down'));
      if ('fail' in step) return Promise.reject(new Error(step.fail));
      return Promise.resolve(step.pass);
    },
  }));
}

function urlOf(req: ContractRequest): string {
  return req.query === undefined ? req.path : `${req.path}?${req.query}`;
}

async function playCase(t: Tap, c: ContractCase, factory: AdapterFactory): Promise<void> {
  const fc = fakeClock();
  const rounds = { round: 0 };
  const healthOptions: HealthOptions = {
    checks: buildChecks(c.checks, rounds),
    timers: fc.timers,
    logger: recordingLogger(),
    shutdown: false,
  };
  const adapter = await factory(healthOptions, c.http ?? {});
  try {
    adapter.health.start();
    await fc.tick(0);
    const length = Math.max(1, ...c.checks.map((s) => s.steps.length));
    for (let r = 1; r < length; r++) {
      rounds.round = r;
      await fc.tick(1000);
    }
    // Lets `hang` steps of the last round time out (500 ms) before the next round would start (1000 ms).
    await fc.tick(600);
    if (c.hold !== undefined) adapter.health.hold(c.hold);

    const request = { method: c.request.method, url: urlOf(c.request), headers: c.request.headers ?? {} };
    const res = await adapter.inject(request);
    const allowed = Array.isArray(c.expect.status) ? c.expect.status : [c.expect.status];
    t.ok(allowed.includes(res.statusCode), `status ${res.statusCode} is one of ${allowed.join(', ')}`);
    t.ok(res.statusCode < 500 || res.statusCode === 503, 'never a server error');
    const contentType = header(res, 'content-type') ?? '';
    if (c.expect.contentType !== undefined) {
      t.equal(contentType, c.expect.contentType, 'content-type');
      t.equal(header(res, 'cache-control'), 'no-store', 'cache-control');
    }
    for (const text of c.expect.absent ?? []) t.notOk(res.body.includes(text), `body does not contain ${JSON.stringify(text)}`);
    if (c.expect.lines !== undefined) t.same(res.body.split('\n'), [...c.expect.lines, ''], 'text lines');
    if (contentType.startsWith('application/') && contentType.includes('json') && res.body.length > 0) {
      const body = JSON.parse(res.body) as Record<string, unknown>;
      checkJsonShape(t, body, contentType);
      if (c.expect.json !== undefined) t.match(body, c.expect.json, 'body');
      if (c.expect.checkNames !== undefined) t.same(Object.keys(body.checks as object), c.expect.checkNames, 'check names');
    } else {
      t.equal(c.expect.json, undefined, 'the case expects no JSON body');
    }

    if (c.request.method === 'GET' && c.head !== false) {
      const head = await adapter.inject({ ...request, method: 'HEAD' });
      t.equal(head.statusCode, res.statusCode, 'HEAD: same status');
      // Headers are the contract's only on probe answers (a framework's own 404 may name the method in its body).
      const names = c.expect.contentType === undefined ? [] : ['content-type', 'cache-control', 'content-length'];
      for (const name of names) {
        const h = header(head, name);
        if (name === 'content-length' && h === undefined) continue; // A HEAD answer may leave the length out.
        t.equal(h, header(res, name), `HEAD: same ${name}`);
      }
      t.equal(head.body, '', 'HEAD: no body');
    }
  } finally {
    await adapter.close();
  }
  t.equal(fc.pending(), 0, 'closing stopped every timer of the registry');
}

/**
 * Plays every case of the contract against the adapter `factory`, one subtest per case.
 * @param known Cases an adapter is known to fail, by name, with the reason: they run as `todo` (reported, not failing).
 */
export async function runContract(t: Tap, factory: AdapterFactory, known: Record<string, string> = {}): Promise<void> {
  for (const name of Object.keys(known)) {
    if (!contractCases.some((c) => c.name === name)) throw new Error(`no contract case named ${JSON.stringify(name)}`);
  }
  for (const c of contractCases) {
    const todo = known[c.name];
    await t.test(c.name, todo === undefined ? {} : { todo }, (t) => playCase(t, c, factory));
  }
}
