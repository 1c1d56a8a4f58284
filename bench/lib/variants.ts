// The table of server variants, in the order each round runs them (round 1: A B C ..., round 2: A B C ...).
import type { CheckMode } from '../servers/common.js';
import { JSON_BODY } from '../servers/common.js';

/** Which body a variant answers: probekit's JSON shapes (about 1.8 kB), or the `?verbose` text (about 140 bytes). */
export type BodyKind = 'json' | 'text';

/** One server variant and the request the load generator sends it. */
export interface Variant {
  readonly id: string;
  readonly label: string;
  /** File under bench/servers. */
  readonly file: string;
  readonly checks?: CheckMode;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Status every hit must answer (checked before the load, and non-2xx counted during it). */
  readonly status: number;
  readonly body: BodyKind;
  /** The id of the variant its ratio is computed against; none for a baseline. */
  readonly baseline?: string;
}

/** Accepted body sizes, in bytes, per kind: a body "of similar size" to the baselines' ~1.8 kB JSON. */
export const BODY_BYTES: Record<BodyKind, readonly [number, number]> = {
  json: [Math.floor(JSON_BODY.length * 0.8), Math.ceil(JSON_BODY.length * 1.2)],
  text: [80, 400],
};

const fastify = (id: string, label: string, extra: Partial<Variant>): Variant => ({
  id,
  label,
  file: 'fastify-probekit.ts',
  checks: 'free',
  path: '/ready',
  status: 200,
  body: 'json',
  baseline: 'fastify-bare',
  ...extra,
});

/** Every variant. The ratio column is against `baseline`; the table also shows each against bare Fastify. */
export const VARIANTS: readonly Variant[] = [
  {
    id: 'fastify-bare',
    label: 'bare Fastify route (baseline)',
    file: 'fastify-bare.ts',
    path: '/ready',
    status: 200,
    body: 'json',
  },
  fastify('probekit-fastify', 'probekit Fastify /ready, 10 checks free', {}),
  fastify('probekit-fastify-5ms', 'probekit Fastify /ready, 10 checks x 5 ms', { checks: 'slow' }),
  fastify('probekit-fastify-hang', 'probekit Fastify /ready, 1 check hangs to timeout', { checks: 'hang' }),
  fastify('probekit-fastify-verbose', 'probekit Fastify /ready?verbose (text)', { path: '/ready?verbose', body: 'text' }),
  fastify('probekit-fastify-health-json', 'probekit Fastify /ready, Accept: health+json', {
    headers: { accept: 'application/health+json' },
  }),
  fastify('under-pressure', '@fastify/under-pressure status route, checks free', { file: 'under-pressure.ts' }),
  fastify('under-pressure-5ms', '@fastify/under-pressure status route, checks 5 ms', {
    file: 'under-pressure.ts',
    checks: 'slow',
  }),
  { id: 'http-bare', label: 'bare node:http (baseline)', file: 'http-bare.ts', path: '/ready', status: 200, body: 'json' },
  {
    id: 'terminus',
    label: '@godaddy/terminus on node:http, checks free',
    file: 'terminus.ts',
    checks: 'free',
    path: '/ready',
    status: 200,
    body: 'json',
    baseline: 'http-bare',
  },
  {
    id: 'terminus-5ms',
    label: '@godaddy/terminus on node:http, checks 5 ms',
    file: 'terminus.ts',
    checks: 'slow',
    path: '/ready',
    status: 200,
    body: 'json',
    baseline: 'http-bare',
  },
  {
    id: 'express-bare',
    label: 'bare Express 5 route (baseline)',
    file: 'express-bare.ts',
    path: '/ready',
    status: 200,
    body: 'json',
  },
  {
    id: 'probekit-express-router',
    label: 'probekit Express router, 10 checks free',
    file: 'express-router.ts',
    checks: 'free',
    path: '/ready',
    status: 200,
    body: 'json',
    baseline: 'express-bare',
  },
  {
    id: 'probekit-express-attach',
    label: 'probekit attach(server) on an Express app',
    file: 'express-attach.ts',
    checks: 'free',
    path: '/ready',
    status: 200,
    body: 'json',
    baseline: 'express-bare',
  },
];

/**
 * The variants to run: all, or those named in `only` plus their baselines (a ratio needs its baseline in the
 * same run). Keeps the table's order.
 * @throws Error for an unknown id.
 */
export function selectVariants(only: readonly string[] | undefined): Variant[] {
  if (only === undefined || only.length === 0) return [...VARIANTS];
  const wanted = new Set<string>();
  for (const id of only) {
    const v = VARIANTS.find((x) => x.id === id);
    if (v === undefined) throw new Error(`Unknown variant \`${id}\`; known: ${VARIANTS.map((x) => x.id).join(', ')}`);
    wanted.add(id);
    if (v.baseline !== undefined) wanted.add(v.baseline);
  }
  return VARIANTS.filter((v) => wanted.has(v.id));
}
