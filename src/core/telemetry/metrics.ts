import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus series (prom-client), knowing no domain: requests, GraphQL operations, errors, the
 * pool, live delivery and scheduled jobs are recorded here by the core; modules add their own gauges
 * (`DomainModule.metrics`). Every label has a bounded set of values: an operation name outside the known
 * operations, a route no module declared or an error code outside the catalogue is counted as `other`, so no
 * client can grow the number of series.
 */
export interface Metrics {
  readonly registry: Registry;
  /** One HTTP request answered, on `route` (a declared path, else `other`). */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** One GraphQL operation over HTTP or WebSocket; its name counts only when it is a known operation's. */
  graphqlOperation(type: string, name: string | null | undefined, seconds: number): void;
  /** One error sent to a client, by its `extensions.code`. */
  graphqlError(code: unknown): void;
  /** One tenant's run of a scheduled job: `ran`, `skipped` (claimed elsewhere) or `failed`. */
  jobRun(job: string, outcome: 'ran' | 'skipped' | 'failed', seconds: number): void;
  /** From a live event's notification (sent by PostgreSQL at commit) to its payload handed to a subscriber. */
  liveDelivery(seconds: number): void;
  /** A gauge read when scraped (`collect` returns its value, or values by label). */
  gauge(
    name: string,
    help: string,
    collect: () => Promise<number | Record<string, number>> | number | Record<string, number>,
    label?: string,
  ): void;
}

export interface MetricsOptions {
  /** The operation names that get series of their own (the codegen operations). */
  operationNames: ReadonlySet<string>;
  /** The error codes of the catalogue. */
  errorCodes: ReadonlySet<string>;
  /** The HTTP routes (paths) that get series of their own. */
  routes: ReadonlySet<string>;
  /** The job names. */
  jobs: ReadonlySet<string>;
}

const OTHER = 'other';
const METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD', 'PUT', 'DELETE', 'PATCH']);
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  // Process and Node.js series, event-loop lag (nodejs_eventloop_lag_seconds and its percentiles) among them.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route, method and status, from arrival to the end of the response.',
    labelNames: ['route', 'method', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const operations = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations by type and name (a name outside the published operations counts as "other").',
    labelNames: ['type', 'name'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'graphql_errors_total',
    help: 'Errors sent to clients, by extensions.code.',
    labelNames: ['code'],
    registers,
  });
  const jobRuns = new Counter({
    name: 'scheduled_job_runs_total',
    help: "Tenants' runs of scheduled jobs by outcome: ran, skipped (another instance had the slot) or failed.",
    labelNames: ['job', 'outcome'],
    registers,
  });
  const jobDurations = new Histogram({
    name: 'scheduled_job_duration_seconds',
    help: "One tenant's run of a scheduled job, claim to commit.",
    labelNames: ['job'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120],
    registers,
  });
  const liveLag = new Histogram({
    name: 'live_commit_to_delivery_seconds',
    help: "From a live event's notification (sent by PostgreSQL at commit) to its payload handed to a subscriber.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const known = (set: ReadonlySet<string>, value: unknown) =>
    typeof value === 'string' && set.has(value) ? value : OTHER;
  return {
    registry,
    httpRequest(route, method, status, seconds) {
      http.observe(
        { route: known(options.routes, route), method: known(METHODS, method), status: String(status) },
        seconds,
      );
    },
    graphqlOperation(type, name, seconds) {
      operations.observe({ type: known(OPERATION_TYPES, type), name: known(options.operationNames, name) }, seconds);
    },
    graphqlError(code) {
      errors.inc({ code: known(options.errorCodes, code) });
    },
    jobRun(job, outcome, seconds) {
      const name = known(options.jobs, job);
      jobRuns.inc({ job: name, outcome });
      if (outcome !== 'skipped') jobDurations.observe({ job: name }, seconds);
    },
    liveDelivery(seconds) {
      liveLag.observe(seconds);
    },
    gauge(name, help, collect, label) {
      new Gauge({
        name,
        help,
        labelNames: label ? [label] : [],
        registers,
        async collect() {
          const value = await collect();
          if (typeof value === 'number') return void this.set(value);
          for (const [key, n] of Object.entries(value)) this.set({ [label!]: key }, n);
        },
      });
    },
  };
}

/** The names of the operations defined in a module of typed documents (codegen's output). */
export function operationNamesOf(documents: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  for (const document of Object.values(documents)) {
    const definitions = (document as { kind?: string; definitions?: { kind: string; name?: { value: string } }[] })
      ?.definitions;
    for (const definition of definitions ?? []) {
      if (definition.kind === 'OperationDefinition' && definition.name) names.add(definition.name.value);
    }
  }
  return names;
}
