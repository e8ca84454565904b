import type { Role } from '../permissions.js';
import type { Trace } from '../telemetry/tracing.js';

/** Who is asking: every SQL statement of a request runs with these settings. */
export interface Caller {
  tenantId: string;
  userId: string;
  role: Role;
  /** The request the work belongs to (HTTP request or WebSocket connection), recorded in the audit trail. */
  requestId?: string;
  /** The request's GraphQL operation span, when its trace is sampled: its statements' parent. */
  trace?: Trace;
}
