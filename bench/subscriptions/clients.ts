// The subscribers of the subscriptions benchmark, in their own process so that the API's process
// holds only server state (its memory is what is measured) and the clients' JSON parsing runs on the
// other core. Reads its plan from the JSON file named by SUBSCRIBERS_PLAN; writes one line per event
// (`E <assignment id> <receive time, ms since the epoch> <index of the receiving worker in the plan>`)
// and progress lines for the parent.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { mintToken } from '../../src/core/auth.js';
import { TrainingAssignmentCreatedDocument } from '../../src/generated/operations/graphql.js';

export interface SubscribersPlan {
  url: string;
  secret: string;
  tenantId: string;
  userIds: string[];
}

/** Sockets opened at once: a burst of thousands would only queue on the API's database pool (and retry). */
const CONNECT_BATCH = 25;

const plan = JSON.parse(readFileSync(process.env.SUBSCRIBERS_PLAN!, 'utf8')) as SubscribersPlan;
const query = print(TrainingAssignmentCreatedDocument);
const now = () => performance.timeOrigin + performance.now();
const clients: Client[] = [];

process.on('SIGTERM', () => {
  void Promise.allSettled(clients.map((client) => client.dispose())).then(() => process.exit(0));
});

for (let start = 0; start < plan.userIds.length; start += CONNECT_BATCH) {
  await Promise.all(
    plan.userIds.slice(start, start + CONNECT_BATCH).map(async (userId, offset) => {
      const worker = start + offset;
      const token = await mintToken({ secret: plan.secret, tenantId: plan.tenantId, userId, role: 'worker' });
      const client = createClient({
        url: plan.url,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 10,
      });
      clients.push(client);
      const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
      client.subscribe<{ trainingAssignmentCreated: { id: string } }>(
        { query },
        {
          next: (result) => {
            const id = result.data?.trainingAssignmentCreated.id;
            console.log(id ? `E ${id} ${now()} ${worker}` : `X ${JSON.stringify(result.errors)}`);
          },
          error: (error) => console.log(`X ${error instanceof Error ? error.message : JSON.stringify(error)}`),
          complete: () => console.log('X completed'),
        },
      );
      await connected;
    }),
  );
  console.log(`connected ${clients.length}`);
}
console.log('ready');
