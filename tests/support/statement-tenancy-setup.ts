import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tenancyProblems } from './statement-tenancy.js';
import { TENANT_TABLES } from './tenant-tables.js';

/**
 * The check that every statement the API sent during the run names one tenant (statement-tenancy.ts), as
 * vitest's global setup: a folder for the run's statement log (statement-log.ts) before the first test file,
 * and the check over everything in it once the last has finished. STATEMENT_TENANCY chooses: `enforce` fails
 * the run on any statement that may span tenants, naming each; `report` prints them and passes; `off` records
 * nothing.
 */

type Mode = 'enforce' | 'report' | 'off';

/**
 * Statements that span tenants on purpose, each with why. None so far: the cross-tenant work (which tenants a
 * job visits, due e-mails, a public certificate lookup) goes through SECURITY DEFINER functions, whose calls
 * name no table.
 */
const CROSS_TENANT_BY_DESIGN: { statement: string; reason: string }[] = [];

export default function setup(): (() => Promise<void>) | undefined {
  const mode = (process.env.STATEMENT_TENANCY ?? 'off') as Mode;
  if (mode === 'off') return undefined;
  if (mode !== 'enforce' && mode !== 'report')
    throw new Error(`STATEMENT_TENANCY=${mode}: expected enforce, report or off`);
  const folder = mkdtempSync(path.join(tmpdir(), 'statement-log-'));
  // Read by each test file's process (statement-log.ts), which inherits this environment.
  process.env.STATEMENT_LOG_DIR = folder;
  return async () => {
    try {
      const report = await check(folder);
      if (!report) return;
      if (mode === 'report') {
        console.warn(report);
        return;
      }
      // vitest reports an error thrown here but still exits with 0.
      console.error(report);
      process.exitCode = 1;
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
}

async function check(folder: string): Promise<string | undefined> {
  const statements = new Set<string>();
  for (const name of readdirSync(folder)) {
    for (const line of readFileSync(path.join(folder, name), 'utf8').split('\n')) {
      if (line) statements.add(JSON.parse(line) as string);
    }
  }
  for (const allowed of CROSS_TENANT_BY_DESIGN) statements.delete(allowed.statement);
  const tenantTables = new Set<string>(TENANT_TABLES);
  const offenders: string[] = [];
  for (const statement of statements) {
    const problems = await tenancyProblems(statement, tenantTables);
    if (problems.length) offenders.push(`${problems.map((problem) => `- ${problem}`).join('\n')}\n${statement}`);
  }
  if (!offenders.length) return undefined;
  return (
    `${offenders.length} of ${statements.size} distinct statements the API sent may span tenants:\n\n` +
    offenders.join('\n\n')
  );
}
