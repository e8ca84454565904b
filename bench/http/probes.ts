import { readFileSync } from 'node:fs';
import type { BenchDatabase } from '../../tests/support/database.js';
import type { PostGraphileNames, TargetRequest } from './settings.js';

/** What the HTTP benchmark reads beside the load: PostGraphile's names, responses, CPU time, transactions. */

interface IntrospectedField {
  name: string;
  type: { name: string | null; ofType: { name: string | null; ofType: { name: string | null } | null } | null };
}

/** Finds PostGraphile's names for what we need by introspecting its schema. */
export async function discoverPostGraphile(url: string, token: string): Promise<PostGraphileNames> {
  const fields = `fields { name type { name ofType { name ofType { name } } } }`;
  const text = await post({
    url,
    token,
    body: JSON.stringify({
      query: `{ query: __type(name: "Query") { ${fields} } assignment: __type(name: "TrainingAssignment") { ${fields} } }`,
    }),
    ids: () => [],
  });
  const { data } = JSON.parse(text) as {
    data: { query: { fields: IntrospectedField[] }; assignment: { fields: IntrospectedField[] } };
  };
  const typeName = (field: IntrospectedField) =>
    field.type.name ?? field.type.ofType?.name ?? field.type.ofType?.ofType?.name ?? null;
  const find = (list: IntrospectedField[], type: string, what: string) => {
    const found = list.filter((field) => typeName(field) === type);
    if (found.length !== 1)
      throw new Error(`PostGraphile: expected one ${what} of type ${type}, found ${found.length}`);
    return found[0]!.name;
  };
  const effective = data.assignment.fields.find((field) => field.name === 'effectiveStatus');
  if (!effective) throw new Error('PostGraphile: TrainingAssignment.effectiveStatus (computed column) missing');
  return {
    courses: find(data.query.fields, 'TrainingCoursesConnection', 'root connection'),
    assignments: find(data.query.fields, 'TrainingAssignmentsConnection', 'root connection'),
    assignmentCourse: find(data.assignment.fields, 'TrainingCourse', 'assignment → course relation'),
    assignmentCompletions: find(data.assignment.fields, 'TrainingCompletionsConnection', 'assignment → completions'),
    effectiveStatus: effective.name,
  };
}

export async function post(request: TargetRequest): Promise<string> {
  const response = await fetch(request.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${request.token}` },
    body: request.body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${request.url}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/** User + system CPU time of a process so far, in ms (Linux /proc). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "(comm) ": state is field 3 of stat(5); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** Committed transactions in the benchmark database so far (pg_stat_database). */
export async function transactions(db: BenchDatabase): Promise<number> {
  return db.withClient(async (client) => {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]!.n);
  });
}
