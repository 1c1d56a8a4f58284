import { expect, test } from 'tstyche';
import type { HEALTH_OPTION_KEYS, HealthOptions } from '../../src/core/health.js';
import type { ProbekitFastifyOptions } from '../../src/fastify/index.js';

test('the key list of the registry options is exactly the keys of HealthOptions', () => {
  expect<(typeof HEALTH_OPTION_KEYS)[number]>().type.toBe<keyof HealthOptions>();
});

test('the Fastify plugin takes every registry option, with the registry its type', () => {
  expect<Pick<ProbekitFastifyOptions, keyof HealthOptions>>().type.toBe<HealthOptions>();
  expect<ProbekitFastifyOptions>().type.toBeAssignableFrom({ historySize: 10 });
  expect<ProbekitFastifyOptions>().type.not.toBeAssignableFrom({ historySize: '10' });
});
