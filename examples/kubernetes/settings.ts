// Every number the manifests next to this file depend on, in one place. `app.ts` builds the app from them, and
// test/recipes/kubernetes.test.ts checks deployment.yaml, deployment-grpc.yaml, haproxy.cfg and consul-service.json
// against them (and against the library's own defaults): change a number here and the test says which rule breaks.
// Plain data only, so that the test can import it without starting anything.

/** The HTTP port: the probes (`/live`, `/ready`, `/startup`) and the app's routes. */
export const HTTP_PORT = 3000;

/** The gRPC port: the `grpc.health.v1` service the kubelet's native `grpc:` probe calls (deployment-grpc.yaml). */
export const GRPC_PORT = 50051;

/**
 * `shutdown` of the app. Equal to the library's defaults under Kubernetes at the time of writing, spelled out so that
 * the manifests' arithmetic holds even if those defaults move (the test checks the manifests against both). A fixed
 * `delay` (not an adaptive one) keeps the arithmetic exact: readiness fails at the signal, the app keeps serving for
 * exactly 5 s, then drains; the process is gone 25 s after the signal at the latest.
 */
export const SHUTDOWN = Object.freeze({ delay: 5000, timeout: 25_000, hookTimeout: 5000 });

/**
 * The checks. `inventory` is the app's one critical dependency (an HTTP API, readiness only: a dependency never
 * belongs in liveness); `eventLoop` is the in-process liveness signal. Times in ms.
 */
export const CHECKS = Object.freeze({
  inventory: Object.freeze({ name: 'inventory', interval: 2000, timeout: 1000, failureThreshold: 3, successThreshold: 1 }),
  eventLoop: Object.freeze({ name: 'event-loop', interval: 1000, timeout: 500, failureThreshold: 3, maxDelayMs: 500 }),
});

/**
 * The slowest start the manifests allow for, in ms: from the container's start to the first passing run of every
 * startup check (here `inventory`). Up to 15 s to load, plus up to 30 s for the inventory service to answer when
 * both are rolled out together. The startup probe must give at least this much before it kills the container.
 */
export const SLOWEST_START_MS = 45_000;

/**
 * What the endpoint machinery needs after the kubelet has seen `/ready` fail, in ms: the EndpointSlice update, then
 * kube-proxy on every node and the ingress controllers applying it. 3 s is a small cluster's figure; raise it (and
 * `SHUTDOWN.delay` with it) where `kubectl get endpointslices -w` shows slower updates.
 */
export const PROPAGATION_MARGIN_MS = 3000;

/**
 * The promise the manifests make, in ms: a pod whose critical dependency died gets no new traffic after this long.
 * The check's worst detection, the kubelet's readiness detection and the propagation margin must fit in it.
 */
export const READINESS_WINDOW_MS = 25_000;
