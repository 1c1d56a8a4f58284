export type { HealthRegistry } from './grpc-health.js';
export { GrpcHealth, grpcHealth } from './grpc-health.js';
export type { GrpcHealthOptions, ServiceTarget } from './options.js';
