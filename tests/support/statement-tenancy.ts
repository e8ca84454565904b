import { parse } from 'libpg-query';

/**
 * Does a statement stay on one tenant? On a database distributed by tenant_id (Citus), a statement reaches one
 * shard only if every table of a tenant it reads or writes is limited to one tenant: `tenant_id = <parameter
 * or constant>`, or `tenant_id = <the tenant_id of a table limited so>` (a join, or a correlated subquery, on
 * tenant_id), in a WHERE or a join's ON taken as a whole (conjuncts of a top-level AND, not under OR or NOT);
 * an INSERT names tenant_id among its columns. Subqueries, CTEs, set operations and INSERT … SELECT are checked
 * each in turn. Reads PostgreSQL's own parse tree (libpg-query), so quoting, schemas and aliases are as the
 * server reads them.
 */

type Ast = Record<string, unknown>;

/** One table (or subquery, or CTE) in a FROM list: `tenant` when it is a tenant table. */
interface Range {
  name: string;
  table: string;
  tenant: boolean;
  limited: boolean;
}

interface Scope {
  ranges: Range[];
  parent: Scope | undefined;
  /** The CTEs visible here, and whether each stays on one tenant. */
  ctes: Map<string, boolean>;
}

const obj = (value: unknown): Ast | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Ast) : undefined;
const list = (value: unknown): Ast[] => (Array.isArray(value) ? (value as Ast[]) : []);
const str = (value: unknown): string | undefined => obj(obj(value)?.String)?.sval as string | undefined;

/** Why `sql` may span tenants (one line per table), or an empty list when it stays on one tenant. */
export async function tenancyProblems(sql: string, tenantTables: ReadonlySet<string>): Promise<string[]> {
  const tree = (await parse(sql)) as { stmts: { stmt: Ast }[] };
  const problems: string[] = [];
  const checker = new Checker(tenantTables, problems);
  for (const { stmt } of tree.stmts) checker.statement(stmt, undefined);
  return [...new Set(problems)];
}

class Checker {
  constructor(
    private readonly tenantTables: ReadonlySet<string>,
    private readonly problems: string[],
  ) {}

  /**
   * A statement node ({ SelectStmt: … }, { InsertStmt: … }…) under `parent` (for correlated subqueries). True
   * when it reads tenant tables and stays on one tenant: then a tenant_id it returns is that tenant's.
   */
  statement(node: Ast, parent: Scope | undefined): boolean {
    const [kind, body] = Object.entries(node)[0] ?? [];
    const stmt = obj(body);
    if (!stmt) return false;
    const before = this.problems.length;
    let tenant = false;
    if (kind === 'SelectStmt') tenant = this.select(stmt, parent);
    else if (kind === 'InsertStmt') this.insert(stmt, parent);
    else if (kind === 'UpdateStmt') this.modify(stmt, stmt.fromClause, parent);
    else if (kind === 'DeleteStmt') this.modify(stmt, stmt.usingClause, parent);
    else this.subqueries(stmt, parent);
    return tenant && this.problems.length === before;
  }

  private select(stmt: Ast, parent: Scope | undefined): boolean {
    const outer = this.ctes(stmt, parent);
    if (stmt.op && stmt.op !== 'SETOP_NONE') {
      const arms = [stmt.larg, stmt.rarg].map((arm) => obj(arm) !== undefined && this.select(obj(arm)!, outer));
      return arms.every(Boolean);
    }
    const scope: Scope = { ranges: [], parent: outer, ctes: new Map() };
    const conditions: Ast[] = [];
    for (const item of list(stmt.fromClause)) this.from(item, scope, conditions);
    conditions.push(...conjuncts(stmt.whereClause));
    this.settle(scope, conditions);
    const { withClause: _with, fromClause, ...rest } = stmt;
    this.subqueries(rest, scope);
    this.fromSubqueries(list(fromClause), scope);
    return scope.ranges.some((range) => range.tenant);
  }

  private insert(stmt: Ast, outer: Scope | undefined): void {
    const parent = this.ctes(stmt, outer);
    const table = obj(stmt.relation)?.relname as string;
    if (this.tenantTables.has(table)) {
      const columns = list(stmt.cols).map((col) => obj(col.ResTarget)?.name);
      if (!columns.includes('tenant_id')) this.problems.push(`INSERT INTO ${table} does not give tenant_id`);
    }
    const source = obj(stmt.selectStmt);
    if (source) this.statement(source, parent);
    const { selectStmt: _source, withClause: _with, ...rest } = stmt;
    this.subqueries(rest, parent);
  }

  /** UPDATE or DELETE: the target, and the FROM/USING tables, each limited to one tenant. */
  private modify(stmt: Ast, more: unknown, outer: Scope | undefined): void {
    const parent = this.ctes(stmt, outer);
    const scope: Scope = { ranges: [], parent, ctes: new Map() };
    const conditions: Ast[] = [];
    this.from({ RangeVar: stmt.relation }, scope, conditions);
    for (const item of list(more)) this.from(item, scope, conditions);
    conditions.push(...conjuncts(stmt.whereClause));
    this.settle(scope, conditions);
    const { withClause: _with, fromClause: _from, usingClause: _using, relation: _relation, ...rest } = stmt;
    this.subqueries(rest, scope);
    this.fromSubqueries(list(more), scope);
  }

  /** Checks a statement's CTEs; the scope they are visible in (`parent` itself when there are none). */
  private ctes(stmt: Ast, parent: Scope | undefined): Scope | undefined {
    const ctes = list(obj(stmt.withClause)?.ctes);
    if (!ctes.length) return parent;
    const scope: Scope = { ranges: [], parent, ctes: new Map() };
    for (const cte of ctes) {
      const { ctename, ctequery } = obj(cte.CommonTableExpr) ?? {};
      scope.ctes.set(ctename as string, obj(ctequery) !== undefined && this.statement(obj(ctequery)!, scope));
    }
    return scope;
  }

  /** Adds a FROM item's tables to `scope` and its join conditions to `conditions`. */
  private from(item: Ast, scope: Scope, conditions: Ast[]): void {
    const range = obj(item.RangeVar);
    if (range) {
      const table = range.relname as string;
      const name = (obj(range.alias)?.aliasname as string | undefined) ?? table;
      const cte = range.schemaname === undefined ? visibleCte(scope, table) : undefined;
      if (cte !== undefined) scope.ranges.push({ name, table, tenant: cte, limited: cte });
      else scope.ranges.push({ name, table, tenant: this.tenantTables.has(table), limited: false });
      return;
    }
    const join = obj(item.JoinExpr);
    if (join) {
      for (const side of [join.larg, join.rarg]) if (obj(side)) this.from(obj(side)!, scope, conditions);
      conditions.push(...conjuncts(join.quals));
      return;
    }
    const sub = obj(item.RangeSubselect);
    const alias = obj(sub?.alias ?? obj(item.RangeFunction)?.alias)?.aliasname;
    // A subquery that stays on one tenant is as good as a table limited to it (a LATERAL one is checked later).
    const tenant = sub !== undefined && !sub.lateral && this.statement(obj(sub.subquery)!, scope.parent);
    if (typeof alias === 'string') scope.ranges.push({ name: alias, table: alias, tenant, limited: tenant });
  }

  /** Subqueries in FROM (and LATERAL ones, which see the tables before them: given the whole scope). */
  private fromSubqueries(items: Ast[], scope: Scope): void {
    for (const item of items) {
      const join = obj(item.JoinExpr);
      if (join) {
        this.fromSubqueries(
          [obj(join.larg), obj(join.rarg)].filter((side) => side !== undefined),
          scope,
        );
        this.subqueries({ quals: join.quals }, scope);
      } else if (obj(item.RangeSubselect)?.lateral) {
        this.statement(obj(obj(item.RangeSubselect)!.subquery)!, scope);
      } else if (obj(item.RangeFunction)) {
        this.subqueries(obj(item.RangeFunction)!, scope);
      }
    }
  }

  /** Every subquery anywhere under `node` (expressions, VALUES, RETURNING…), checked with `scope` outside it. */
  private subqueries(node: unknown, scope: Scope | undefined): void {
    if (Array.isArray(node)) {
      for (const item of node) this.subqueries(item, scope);
      return;
    }
    const ast = obj(node);
    if (!ast) return;
    for (const [key, value] of Object.entries(ast)) {
      if (key === 'SubLink') {
        const sub = obj(obj(value)?.subselect);
        if (sub) this.statement(sub, scope);
        this.subqueries(obj(value)?.testexpr, scope);
      } else if (key === 'SelectStmt' || key === 'InsertStmt' || key === 'UpdateStmt' || key === 'DeleteStmt') {
        this.statement({ [key]: value }, scope);
      } else {
        this.subqueries(value, scope);
      }
    }
  }

  /** Marks the tables limited to one tenant by `conditions`, then reports every tenant table left unlimited. */
  private settle(scope: Scope, conditions: Ast[]): void {
    const pairs = conditions.flatMap((condition) => equality(condition));
    // An OR limits a table when each of its branches does (Prisma's batch of lookups by key, tenant_id in each).
    const branches = conditions
      .filter((condition) => obj(condition.BoolExpr)?.boolop === 'OR_EXPR')
      .map((condition) => list(obj(condition.BoolExpr)!.args).map((arm) => conjuncts(arm).flatMap(equality)));
    for (let changed = true; changed;) {
      changed = false;
      for (const range of scope.ranges) {
        if (!range.tenant || range.limited) continue;
        if (
          this.limits(pairs, range, scope) ||
          branches.some((arms) => arms.every((arm) => this.limits(arm, range, scope)))
        ) {
          range.limited = true;
          changed = true;
        }
      }
    }
    for (const range of scope.ranges) {
      if (range.tenant && !range.limited) {
        const as = range.name === range.table ? '' : ` (as ${range.name})`;
        this.problems.push(`${range.table}${as} is not limited to one tenant (no tenant_id = … in its WHERE or join)`);
      }
    }
  }

  /** Whether one of `pairs` sets the tenant_id of `range` to a value, or to the tenant_id of a limited table. */
  private limits(pairs: [Ast, Ast][], range: Range, scope: Scope): boolean {
    return pairs.some(([left, right]) =>
      [
        [left, right],
        [right, left],
      ].some(([column, value]) => {
        if (this.tenantColumn(column!, scope) !== range) return false;
        const other = this.tenantColumn(value!, scope);
        return other ? other.limited : constant(value!, true);
      }),
    );
  }

  /** The range whose tenant_id `expr` is, looking outwards from `scope`, or undefined. */
  private tenantColumn(expr: Ast, scope: Scope): Range | undefined {
    const fields = list(obj(uncast(expr).ColumnRef)?.fields).map(str);
    if (fields.at(-1) !== 'tenant_id') return undefined;
    const qualifier = fields.at(-2);
    for (let level: Scope | undefined = scope; level; level = level.parent) {
      const found =
        qualifier === undefined
          ? level.ranges.filter((range) => range.tenant)
          : level.ranges.filter((range) => range.name === qualifier);
      if (found.length === 1) return found[0];
      if (found.length > 1) return undefined;
    }
    return undefined;
  }
}

function visibleCte(scope: Scope | undefined, name: string): boolean | undefined {
  for (let level = scope; level; level = level.parent) if (level.ctes.has(name)) return level.ctes.get(name);
  return undefined;
}

/** The conjuncts of a condition: the arguments of (nested) ANDs, else the condition itself. */
function conjuncts(condition: unknown): Ast[] {
  const ast = obj(condition);
  if (!ast) return [];
  const bool = obj(ast.BoolExpr);
  if (bool?.boolop === 'AND_EXPR') return list(bool.args).flatMap(conjuncts);
  return [ast];
}

/**
 * `a = b` as [a, b]; `(a, b) = (c, d)` as [a, c] and [b, d]; `a IN (b)` too. `a IN (values…)` counts as `a = <a value>`: that is how Prisma loads a
 * relation, listing the tenant_id of each parent row, all of them the caller's tenant's (Citus routes it by the
 * values, to that tenant's shard); an empty list is `IN (NULL)`.
 */
function equality(condition: Ast): [Ast, Ast][] {
  const expr = obj(condition.A_Expr);
  if (!expr || str(list(expr.name)[0]) !== '=') return [];
  const left = obj(expr.lexpr);
  const right = obj(expr.rexpr);
  const [row, otherRow] = [list(obj(left?.RowExpr)?.args), list(obj(right?.RowExpr)?.args)];
  if (expr.kind === 'AEXPR_OP' && row.length && row.length === otherRow.length) {
    return row.map((item, index) => [item, otherRow[index]!]);
  }
  if (expr.kind === 'AEXPR_OP' && left && right) return [[left, right]];
  const values = list(obj(obj(expr.rexpr)?.List)?.items ?? expr.rexpr);
  if (expr.kind !== 'AEXPR_IN' || !left || !values.length) return [];
  if (values.length === 1) return [[left, values[0]!]];
  return values.every((value) => constant(value, true)) ? [[left, values[0]!]] : [];
}

function uncast(expr: Ast): Ast {
  const cast = obj(expr.TypeCast);
  return cast && obj(cast.arg) ? uncast(obj(cast.arg)!) : expr;
}

/** A parameter or a constant (NULL too with `orNull`): one value, the same for every row. */
function constant(expr: Ast, orNull = false): boolean {
  const value = uncast(expr);
  return 'ParamRef' in value || ('A_Const' in value && (orNull || !obj(value.A_Const)?.isnull));
}
