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

/** The demo site's zones and equipment (the scheduling and asset systems own their names; these are the ids). */
export const DEMO_ZONES = {
  loadingDock: '7e0a1c2e-5afe-4000-8000-00000000c001',
  highBay: '7e0a1c2e-5afe-4000-8000-00000000c002',
  yard: '7e0a1c2e-5afe-4000-8000-00000000c003',
} as const;
export const DEMO_EQUIPMENT = {
  forklift: '7e0a1c2e-5afe-4000-8000-00000000d001',
  reachTruck: '7e0a1c2e-5afe-4000-8000-00000000d002',
  crane: '7e0a1c2e-5afe-4000-8000-00000000d003',
} as const;
