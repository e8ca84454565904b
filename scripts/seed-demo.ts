// `npm run seed:demo`: fills a demo tenant through the running API (start it first with `npm start`)
// with realistic courses, workers, assignments and completions, then prints tokens to try it.
// Talks GraphQL like any client, so it works the same on PGlite and PostgreSQL.
import { print, type DocumentNode } from 'graphql';
import { mintToken } from '../src/core/auth.js';
import { loadConfig } from '../src/core/config.js';
import type { Role } from '../src/core/permissions.js';
import {
  AssignTrainingCourseDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  StartTrainingAssignmentDocument,
  TrainingCoursesDocument,
} from '../src/generated/operations/graphql.js';

const config = loadConfig();
const url = process.env.API_URL ?? `http://localhost:${config.port}/graphql`;
const TENANT = '7e0a1c2e-5afe-4000-8000-000000000001';
const people: { id: string; role: Role; name: string; email: string }[] = [
  { id: '7e0a1c2e-5afe-4000-8000-00000000a001', role: 'admin', name: 'Ada Admin', email: 'ada@demo.example' },
  {
    id: '7e0a1c2e-5afe-4000-8000-00000000a002',
    role: 'safety_officer',
    name: 'Sam Officer',
    email: 'sam@demo.example',
  },
  { id: '7e0a1c2e-5afe-4000-8000-00000000a003', role: 'service', name: 'Risk Engine', email: 'risk@demo.example' },
  ...['Wei Chen', 'Maria Lopez', 'Tom Okafor', 'Priya Nair', 'Jonas Berg', 'Lena Novak'].map((name, index) => ({
    id: `7e0a1c2e-5afe-4000-8000-00000000b00${index + 1}`,
    role: 'worker' as const,
    name,
    email: `${name.split(' ')[0]!.toLowerCase()}@demo.example`,
  })),
];

const tokens = new Map<string, string>();
for (const person of people) {
  tokens.set(
    person.id,
    await mintToken({
      secret: config.auth.jwtSecret!,
      tenantId: TENANT,
      userId: person.id,
      role: person.role,
      name: person.name,
      email: person.email,
      expiresIn: '30d',
    }),
  );
}

async function call<Data>(
  as: string,
  document: DocumentNode | string,
  variables: Record<string, unknown> = {},
): Promise<Data> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(as)}` },
    body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
  }).catch(() => {
    throw new Error(`Cannot reach ${url}: start the API first (npm start), or set API_URL.`);
  });
  const body = (await response.json()) as { data?: Data; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((error) => error.message).join('; '));
  return body.data!;
}

const [admin, officer, , ...workers] = people;
const due = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

// Everyone signs in once, which creates their profile (SPEC §3).
for (const person of people) await call(person.id, '{ me { id } }');

const existing = await call<{ trainingCourses: { totalCount: number } }>(officer!.id, TrainingCoursesDocument, {
  first: 1,
});
if (existing.trainingCourses.totalCount > 0) {
  console.log('The demo tenant already has courses; not seeding twice.');
} else {
  const courses = [
    {
      title: 'Forklift Safety Training',
      category: 'EQUIPMENT_SAFETY',
      difficultyLevel: 'INTERMEDIATE',
      durationMinutes: 45,
      riskThreshold: 60,
      entityType: 'EQUIPMENT',
      autoAssignEnabled: true,
      required: true,
      expiryMonths: 12,
      issuesCertificate: true,
      contentUrl: 'https://lms.demo.example/forklift',
    },
    {
      title: 'Working at Heights',
      category: 'HAZARD_AWARENESS',
      difficultyLevel: 'ADVANCED',
      durationMinutes: 90,
      riskThreshold: 70,
      entityType: 'ZONE',
      autoAssignEnabled: true,
      required: true,
      expiryMonths: 24,
      issuesCertificate: true,
    },
    {
      title: 'Defensive Driving',
      category: 'RISK_MANAGEMENT',
      difficultyLevel: 'INTERMEDIATE',
      durationMinutes: 60,
      riskThreshold: 65,
      entityType: 'DRIVER',
      autoAssignEnabled: true,
      expiryMonths: 36,
    },
    {
      title: 'Fatigue and Alertness',
      category: 'SAFETY_FUNDAMENTALS',
      difficultyLevel: 'BEGINNER',
      durationMinutes: 20,
      riskThreshold: 80,
      entityType: 'GENERAL',
      autoAssignEnabled: true,
    },
    {
      title: 'Fire Evacuation Drill',
      category: 'EMERGENCY_RESPONSE',
      difficultyLevel: 'BEGINNER',
      durationMinutes: 30,
      required: true,
      expiryMonths: 12,
    },
    {
      title: 'Lockout / Tagout',
      category: 'COMPLIANCE',
      difficultyLevel: 'ADVANCED',
      durationMinutes: 75,
      riskThreshold: 55,
      entityType: 'WORKER',
      autoAssignEnabled: true,
      expiryMonths: 12,
      issuesCertificate: true,
    },
  ];
  const courseIds: string[] = [];
  for (const input of courses) {
    const data = await call<{ createTrainingCourse: { id: string } }>(officer!.id, CreateTrainingCourseDocument, {
      input,
    });
    courseIds.push(data.createTrainingCourse.id);
  }
  // Each worker gets a few courses and is at a different point in each.
  let assignments = 0;
  for (const [index, worker] of workers.entries()) {
    for (let offset = 0; offset < 3; offset++) {
      const courseId = courseIds[(index + offset) % courseIds.length]!;
      const { assignTrainingCourse } = await call<{ assignTrainingCourse: { id: string } }>(
        officer!.id,
        AssignTrainingCourseDocument,
        {
          input: {
            courseId,
            userId: worker.id,
            dueDate: due(7 + index * 3 + offset),
            assignmentReason: 'Annual safety plan',
          },
        },
      );
      assignments++;
      const stage = (index + offset) % 4; // 0 assigned, 1 in progress, 2 completed, 3 failed once then in progress
      if (stage === 0) continue;
      await call(worker.id, StartTrainingAssignmentDocument, { assignmentId: assignTrainingCourse.id });
      if (stage === 2 || stage === 3) {
        await call(worker.id, CompleteTrainingAssignmentDocument, {
          input: {
            assignmentId: assignTrainingCourse.id,
            score: stage === 2 ? 78 + index * 3 : 42,
            passed: stage === 2,
            completionTimeMinutes: 25 + index * 5,
          },
        });
      }
      if (stage === 3)
        await call(worker.id, StartTrainingAssignmentDocument, { assignmentId: assignTrainingCourse.id });
    }
  }
  console.log(
    `Seeded tenant ${TENANT}: ${courseIds.length} courses, ${workers.length} workers, ${assignments} assignments.`,
  );
}

console.log(`\nTokens (valid 30 days) for ${url}:`);
for (const person of [admin!, officer!, people[2]!, workers[0]!]) {
  console.log(`\n# ${person.name} — ${person.role} (user ${person.id})\n${tokens.get(person.id)}`);
}
