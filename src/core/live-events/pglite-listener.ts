import { ASSIGNMENT_CREATED_CHANNEL } from './payload.js';

/** The hub's one listening session, whichever database it is on. */
export interface Listener {
  listening(): boolean;
  close(): Promise<void>;
}

/** PGlite is one in-process session: it cannot drop, so there is nothing to reconnect or catch up. */
export async function listenPglite(
  pglite: { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> },
  onPayload: (payload: string) => void,
): Promise<Listener> {
  const unlisten = await pglite.listen(ASSIGNMENT_CREATED_CHANNEL, onPayload);
  let listening = true;
  return {
    listening: () => listening,
    async close() {
      listening = false;
      await unlisten();
    },
  };
}
