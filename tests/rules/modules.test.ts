import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadConfig as loadConfigOf } from '../../src/core/config.js';
import { routeTable, type Route } from '../../src/core/http.js';
import { definePermissions, may, permissionTable, ROLES } from '../../src/core/permissions.js';
import { defineSettings } from '../../src/core/settings.js';
import { modules } from '../../src/modules.js';

/** What the app composes from its modules' front doors: one permission table, settings, jobs, routes. */

const env = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32) };

describe('modules', () => {
  it('have unique names, and the permission table is exactly the union of their tables', () => {
    const names = modules.map((module) => module.name);
    expect(new Set(names).size).toBe(names.length);
    const granted = modules.flatMap((module) => Object.entries(module.permissions ?? {}));
    expect(new Map([...permissionTable()].map(([name, roles]) => [name, [...roles].sort()]))).toEqual(
      new Map(granted.map(([name, roles]) => [name, [...roles].sort()])),
    );
    for (const [name, roles] of granted) {
      for (const role of ROLES) expect(may(role, name as never)).toBe(roles.includes(role));
    }
  });

  it('deny what no module grants, and refuse a permission granted twice', () => {
    for (const role of ROLES) expect(may(role, 'nothing.grantsThis' as never)).toBe(false);
    expect(() => definePermissions({ 'courses.manage': ['worker'] })).toThrow(/courses\.manage/);
    expect(may('worker', 'courses.manage')).toBe(false);
  });

  it("declare jobs with distinct names, each scheduled from its module's settings", () => {
    const jobs = modules.flatMap((module) => module.jobs ?? []);
    expect(new Set(jobs.map((job) => job.name)).size).toBe(jobs.length);
    const quiet = loadConfig(env);
    const production = loadConfig({ ...env, NODE_ENV: 'production' });
    for (const job of jobs) {
      expect(job.name).toMatch(/^[a-z][a-z0-9_]{0,62}$/);
      expect(job.schedule(quiet), `${job.name} is off under NODE_ENV=test`).toBeUndefined();
      expect(job.schedule(production), `${job.name} has a default schedule`).toMatch(/\*/);
    }
  });

  it("read each module's settings once, and refuse two modules claiming one name", () => {
    const one = defineSettings('twin', (setting) => ({ n: setting.integer('TWIN_N', 1) }));
    const config = loadConfigOf(env, [one]);
    expect(one.of(config)).toEqual({ n: 1 });
    expect(() => loadConfigOf({ ...env, TWIN_N: 'many' }, [one])).toThrow(/TWIN_N/);
    expect(() => loadConfigOf(env, [one, one])).toThrow(/twin/);
    expect(() => defineSettings('elsewhere', () => 1).of(config)).toThrow(/elsewhere/);
  });
});

describe('the route table', () => {
  const route = (path: string): Route => ({ path, handle: () => undefined });

  it('answers the most specific route whatever the order modules list them in', () => {
    const routes = [route('/'), route('/certificates/'), route('/verify/'), route('/dev/seed-demo')];
    for (const order of [routes, [...routes].reverse()]) {
      const find = routeTable(order);
      expect(find('/certificates/abc.pdf')?.path).toBe('/certificates/');
      expect(find('/verify/abc')?.path).toBe('/verify/');
      expect(find('/dev/seed-demo')?.path).toBe('/dev/seed-demo');
      expect(find('/index.html')?.path).toBe('/');
    }
    expect(routeTable([route('/exact')])('/exact/more')).toBeUndefined();
  });

  it('refuses two routes claiming one path', () => {
    expect(() => routeTable([route('/verify/'), route('/verify/')])).toThrow(/verify/);
  });
});
