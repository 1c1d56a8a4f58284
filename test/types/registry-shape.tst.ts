import { expect, test } from 'tstyche';
import type { ConsulHealthRegistry } from '../../src/consul/index.js';
import type { HealthLike } from '../../src/core/health-like.js';
import type { HealthRegistry } from '../../src/grpc/index.js';
import type { Health } from '../../src/index.js';
import type { ProbeStateSource } from '../../src/probe-server/server.js';

test('a Health is the registry every face takes', () => {
  expect<HealthLike>().type.toBeAssignableFrom<Health>();
  expect<ConsulHealthRegistry>().type.toBeAssignableFrom<Health>();
  expect<HealthRegistry>().type.toBeAssignableFrom<Health>();
  expect<ProbeStateSource>().type.toBeAssignableFrom<Health>();
});

test('each face type is a part of the one registry shape', () => {
  expect<ConsulHealthRegistry>().type.toBe<
    Pick<HealthLike, 'logger' | 'isRunning' | 'isShuttingDown' | 'on' | 'off' | 'addParticipant'>
  >();
  expect<HealthRegistry>().type.toBe<Pick<HealthLike, 'on' | 'evaluate' | 'isShuttingDown' | 'addDrainTarget'>>();
});

test('a structural registry with only what gRPC uses still fits (another copy of probekit)', () => {
  const other = {
    on: (_event: 'change', _listener: () => void) => other,
    evaluate: () => 'pass' as const,
    isShuttingDown: false,
    addDrainTarget: () => () => {},
  };
  expect<HealthRegistry>().type.toBeAssignableFrom(other);
});
