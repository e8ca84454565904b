import { ASSIGNMENT_CREATED_CHANNEL, SIDE_CHANNELS, type SideChannel } from './payload.js';

/** The hub's one listening session, whichever database it is on. */
export interface Listener {
  listening(): boolean;
  close(): Promise<void>;
}

/** PGlite is one in-process session: it cannot drop, so there is nothing to reconnect or catch up. */
export async function listenPglite(
  pglite: { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> },
  onPayload: (payload: string) => void,
  onSidePayload: (channel: SideChannel, payload: string) => void = () => {},
): Promise<Listener> {
  const unlisten = await pglite.listen(ASSIGNMENT_CREATED_CHANNEL, onPayload);
  const unlistenSide = await Promise.all(
    SIDE_CHANNELS.map((channel) => pglite.listen(channel, (payload) => onSidePayload(channel, payload))),
  );
  let listening = true;
  return {
    listening: () => listening,
    async close() {
      listening = false;
      await unlisten();
      for (const off of unlistenSide) await off();
    },
  };
}
