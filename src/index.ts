export type { Format, HealthStatus, ProbeResponse } from './core/aggregate.js';
export type { DrainTarget, OpenWork } from './core/drain-target.js';
export type { ProbekitErrorCode } from './core/errors.js';
export {
  CheckFailedError,
  CheckPendingError,
  CheckTimeoutError,
  codes,
  DuplicateCheckError,
  InvalidOptionError,
  isProbekitError,
  ProbekitError,
  ProbeServerError,
  RegistryStoppedError,
} from './core/errors.js';
export type { HealthOptions, Logger, ReportQuery } from './core/health.js';
export { HealthCore } from './core/health.js';
export { CHECK_DEFAULTS } from './core/options.js';
export type { OverloadOptions } from './core/overload.js';
export type { ClosePhase, Participant } from './core/participant.js';
export type { ShutdownOptions, ShutdownResult } from './core/shutdown.js';
export type { CheckSnapshot, HealthSnapshot } from './core/snapshot.js';
export type {
  Check,
  CheckDetails,
  CheckOptions,
  CheckRunResult,
  CheckStatus,
  Probe,
  RunEvent,
  RunResult,
  Timers,
  TransitionEvent,
} from './core/types.js';
export type { FleetEvent } from './fleet/fleet.js';
export type { FleetOptions, PeerAddress } from './fleet/options.js';
export { createHealth, Health } from './health.js';
export type { DetailsOption, HttpOptions } from './http/contract.js';
export type { AttachOptions } from './node-http/attach.js';
export type { ProbeServerOptions } from './probe-server/options.js';
export type { ProbeServer, ProbeServerAddress } from './probe-server/server.js';
