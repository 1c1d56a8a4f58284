export type { ConsulDuration } from './duration.js';
export { ConsulRegistration, consulRegistration } from './registration.js';
export type {
  ConsulCheckOptions,
  ConsulCloseOptions,
  ConsulHealthRegistry,
  ConsulRegistrationOptions,
  ConsulRegistrationState,
  ConsulRetryOptions,
  ConsulServiceOptions,
} from './types.js';
