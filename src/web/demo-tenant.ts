// The demo tenant `npm run seed:demo` fills: fixed ids, so the web app's demo sign-in, the gateway demo and
// the docs can name the same people on every machine. Plain data with no imports, safe to use anywhere.

export const DEMO_TENANT_ID = '7e0a1c2e-5afe-4000-8000-000000000001';

export interface DemoUser {
  id: string;
  role: 'admin' | 'safety_officer' | 'service' | 'worker';
  name: string;
  email: string;
}

export const DEMO_ADMIN: DemoUser = {
  id: '7e0a1c2e-5afe-4000-8000-00000000a001',
  role: 'admin',
  name: 'Ada Admin',
  email: 'ada@demo.example',
};
export const DEMO_SAFETY_OFFICER: DemoUser = {
  id: '7e0a1c2e-5afe-4000-8000-00000000a002',
  role: 'safety_officer',
  name: 'Sam Officer',
  email: 'sam@demo.example',
};
/** The risk engine's integration account (role `service`). */
export const DEMO_SERVICE: DemoUser = {
  id: '7e0a1c2e-5afe-4000-8000-00000000a003',
  role: 'service',
  name: 'Risk Engine',
  email: 'risk@demo.example',
};
export const DEMO_WORKERS: readonly DemoUser[] = [
  'Wei Chen',
  'Maria Lopez',
  'Tom Okafor',
  'Priya Nair',
  'Jonas Berg',
  'Lena Novak',
].map((name, index) => ({
  id: `7e0a1c2e-5afe-4000-8000-00000000b00${index + 1}`,
  role: 'worker',
  name,
  email: `${name.split(' ')[0]!.toLowerCase()}@demo.example`,
}));

export const DEMO_USERS: readonly DemoUser[] = [DEMO_ADMIN, DEMO_SAFETY_OFFICER, DEMO_SERVICE, ...DEMO_WORKERS];
