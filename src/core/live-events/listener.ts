import type { AnnouncedChannel, AnnouncedKey, FollowedChannel, LiveChannel } from './channel.js';

/** The hub's one listening session, whichever database it is on. */
export interface Listener {
  listening(): boolean;
  close(): Promise<void>;
}

/** What a listening session hands the hub. */
export interface ListenerHooks {
  announce(channel: AnnouncedChannel, tenantId: string, keys: AnnouncedKey[]): void;
  follow(channel: FollowedChannel, payload: string): void;
  malformed(channel: LiveChannel, payload: string): void;
}

/**
 * One payload to where its channel's kind sends it; an announcement's keys pass
 * through `unseen` first (the PostgreSQL session drops what a catch-up announced).
 */
export function route(
  channel: LiveChannel,
  payload: string,
  hooks: ListenerHooks,
  unseen: (channel: AnnouncedChannel, keys: AnnouncedKey[]) => AnnouncedKey[] = (_, keys) => keys,
): void {
  if (channel.kind === 'followed') return hooks.follow(channel, payload);
  const announcement = channel.parse(payload);
  if (announcement) hooks.announce(channel, announcement.tenantId, unseen(channel, announcement.keys));
  else hooks.malformed(channel, payload);
}

/** PGlite is one in-process session: it cannot drop, so there is nothing to reconnect or catch up. */
export async function listenPglite(
  pglite: { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> },
  channels: readonly LiveChannel[],
  hooks: ListenerHooks,
): Promise<Listener> {
  const unlisten = await Promise.all(
    channels.map((channel) => pglite.listen(channel.name, (payload) => route(channel, payload, hooks))),
  );
  let listening = true;
  return {
    listening: () => listening,
    async close() {
      listening = false;
      for (const off of unlisten) await off();
    },
  };
}
