// The floor for bench/http: a bare Node HTTP handler with `pg`, no GraphQL. Run in its own
// process (`node --import tsx bench/http/floor-server.ts`) with DATABASE_URL, PORT,
// JWT_SECRET and DB_POOL_MAX. Per request: read the JSON body, verify the JWT (as the
// other two do), then BEGIN; the caller's settings with set_config (the API sends them as SET LOCAL, see
// src/core/caller/settings.ts); the equivalent SQL; COMMIT; and JSON shaped like the GraphQL response.
//   POST /courses      {"first": 50}
//   POST /assignments  {"userId": "…", "first": 50}
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { claimsOf, type Claims } from './claims.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
pool.on('error', () => {});

const APPLY_CALLER =
  "SELECT set_config('role', 'training_app', true), set_config('app.tenant_id', $1, true), " +
  "set_config('app.user_id', $2, true), set_config('app.role', $3, true)";

const COURSES = `
  SELECT id, title, category, risk_threshold FROM training_courses
  WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2`;
const COURSE_COUNT = 'SELECT count(*)::int AS n FROM training_courses WHERE tenant_id = $1';
const ASSIGNMENTS = `
  SELECT a.id, training_effective_status(a.status, a.due_date) AS status, a.due_date::text AS due_date,
         c.id AS course_id, c.title, c.category,
         l.score, l.passed, l.completed_at, l.expires_at::text AS expires_at
  FROM training_assignments a
  JOIN training_courses c ON c.tenant_id = a.tenant_id AND c.id = a.course_id
  LEFT JOIN LATERAL (
    SELECT tc.score, tc.passed, tc.completed_at, tc.expires_at FROM training_completions tc
    WHERE tc.tenant_id = a.tenant_id AND tc.assignment_id = a.id
    ORDER BY tc.completed_at DESC LIMIT 1
  ) l ON true
  WHERE a.tenant_id = $1 AND a.user_id = $2
  ORDER BY a.created_at DESC, a.id LIMIT $3`;

async function asCaller<T>(claims: Claims, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(APPLY_CALLER, [claims.tenant_id, claims.sub, claims.role]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

interface CourseRow {
  id: string;
  title: string;
  category: string;
  risk_threshold: string | null;
}
interface AssignmentRow {
  id: string;
  status: string;
  due_date: string | null;
  course_id: string;
  title: string;
  category: string;
  score: string | null;
  passed: boolean | null;
  completed_at: Date | null;
  expires_at: string | null;
}

async function courses(claims: Claims, body: { first?: number }) {
  return asCaller(claims, async (client) => {
    const rows = (await client.query<CourseRow>(COURSES, [claims.tenant_id, body.first ?? 50])).rows;
    const [count] = (await client.query<{ n: number }>(COURSE_COUNT, [claims.tenant_id])).rows;
    return {
      trainingCourses: {
        totalCount: count!.n,
        nodes: rows.map((row) => ({
          id: row.id,
          title: row.title,
          category: row.category.toUpperCase(),
          riskThreshold: row.risk_threshold === null ? null : Number(row.risk_threshold),
        })),
      },
    };
  });
}

async function assignments(claims: Claims, body: { userId?: string; first?: number }) {
  if (claims.role === 'worker' && body.userId !== claims.sub) throw new HttpError(403, 'FORBIDDEN');
  return asCaller(claims, async (client) => {
    const rows = (await client.query<AssignmentRow>(ASSIGNMENTS, [claims.tenant_id, body.userId, body.first ?? 50]))
      .rows;
    return {
      userTrainingAssignments: {
        nodes: rows.map((row) => ({
          id: row.id,
          status: row.status.toUpperCase(),
          dueDate: row.due_date,
          course: { id: row.course_id, title: row.title, category: row.category.toUpperCase() },
          completion:
            row.passed === null
              ? null
              : {
                  score: row.score === null ? null : Number(row.score),
                  passed: row.passed,
                  completedAt: row.completed_at,
                  expiresAt: row.expires_at,
                },
        })),
      },
    };
  });
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    code: string,
  ) {
    super(code);
  }
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {});
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const routes: Record<string, (claims: Claims, body: Record<string, unknown>) => Promise<unknown>> = {
  '/courses': courses,
  '/assignments': assignments,
};

const server = createServer((req, res) => {
  if (req.url === '/readyz') return send(res, 200, { status: 'ready' });
  const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined;
  if (!route) return send(res, 404, { errors: [{ message: 'Not found' }] });
  void (async () => {
    try {
      const body = await readJson(req);
      const claims = await claimsOf(req).catch(() => {
        throw new HttpError(401, 'UNAUTHENTICATED');
      });
      send(res, 200, { data: await route(claims, body) });
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      send(res, status, { errors: [{ message: error instanceof Error ? error.message : 'error' }] });
    }
  })();
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
});
