// Declarations put before a documentation fragment (a `ts` block marked `<!-- ts-prelude: name ... -->`), standing for
// what the app around it declared: the Fastify app, the registry, the checks. Only declarations, and only through
// `import('...')` types, so that two preludes and the block's own imports never collide. A fragment is compiled with
// them and never run.

/** Each prelude by name. */
export const PRELUDES: Readonly<Record<string, string>> = Object.freeze({
  // `import type {}` loads the plugin's `declare module 'fastify'`, as the user's `import probekit from ...` does.
  'fastify-app': "import type {} from 'probekit/fastify';\ndeclare const app: import('fastify').FastifyInstance;",
  'express-app': "declare const app: import('express').Express;",
  health: "declare const health: import('probekit').Health;",
  checks: "declare const checks: import('probekit').Check[];",
  // Every option the Fastify block of docs/frameworks.md passes by name, and the counter its listener feeds.
  'plugin-options': [
    "declare const checks: import('probekit').Check[];",
    "declare const defaults: import('probekit').CheckOptions;",
    "declare const paths: import('probekit').HttpOptions['paths'];",
    'declare const prefix: string;',
    "declare const details: 'never' | 'always';",
    "declare const logLevel: 'warn';",
    "declare const shutdown: import('probekit').ShutdownOptions;",
    "declare const health: import('probekit').Health;",
    "declare const check: import('probekit').Check;",
    "declare const metrics: import('prom-client').Counter<'check' | 'to'>;",
  ].join('\n'),
  consumer: 'declare const consumer: { pause(): void; whenIdle(): Promise<void>; disconnect(): Promise<void> };',
  'grpc-orders': [
    "declare const OrdersService: import('@grpc/grpc-js').ServiceDefinition;",
    "declare const orders: import('@grpc/grpc-js').UntypedServiceImplementation;",
  ].join('\n'),
  'prom-registry': "declare const registry: import('prom-client').Registry;",
  'mysql-pool': "declare const pool: import('mysql2/promise').Pool;",
});
