import { Worker } from 'node:worker_threads';

/**
 * Clients that send the same HTTP request over and over, as fast as the answers come, from a worker
 * thread at a lower CPU priority: like clients on other machines, their own work (building requests,
 * reading answers) neither takes turns with the server on the test's event loop nor competes with it for
 * the CPU, so what is measured is what their requests cost the server.
 */

export interface RequestLoop {
  /** Resolves once the first answer came back: the clients are sending. */
  running: Promise<void>;
  /** Stops the clients and resolves with the HTTP status of every answer they got. */
  stop(): Promise<number[]>;
}

const LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const os = require('node:os');
const { url, init, clients } = workerData;
// On Linux the nice value is per thread: this one yields the CPU to the server's thread first, as
// clients on other machines would not take it at all. (Elsewhere it applies to the process: no change.)
try { os.setPriority(0, 10); } catch {}
const agent = new http.Agent({ keepAlive: true });
let running = true;
let answers = 0;
parentPort.once('message', () => { running = false; });
function send() {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: init.method, headers: init.headers, agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('error', reject);
    request.end(init.body);
  });
}
async function client() {
  const statuses = [];
  while (running) {
    statuses.push(await send());
    if (++answers === 1) parentPort.postMessage('running');
  }
  return statuses;
}
Promise.all(Array.from({ length: clients }, client)).then((all) => {
  agent.destroy();
  parentPort.postMessage(all.flat());
});
`;

/** `clients` concurrent clients, each sending `init` to `url` in a loop until `stop()`. */
export function startRequestLoop(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
  clients: number,
): RequestLoop {
  const worker = new Worker(LOOP, { eval: true, workerData: { url, init, clients } });
  const messages = (first: boolean) =>
    new Promise<unknown>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if ((message === 'running') !== first) return;
        worker.off('message', onMessage);
        resolve(message);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  const running = messages(true).then(() => undefined);
  const statuses = messages(false) as Promise<number[]>;
  return {
    running,
    async stop() {
      worker.postMessage('stop');
      const all = await statuses;
      await worker.terminate();
      return all;
    },
  };
}
