import type { Feed } from './feed.js';
import type { AnnouncedKey } from './channel.js';

/** One channel's subscribers by tenant, then by user (null: the whole tenant). */
export class SubscriberIndex {
  private readonly tenants = new Map<string, { all: Set<Feed>; users: Map<string, Set<Feed>> }>();
  size = 0;

  add(feed: Feed): void {
    const { tenantId, userId } = feed.filter;
    let tenant = this.tenants.get(tenantId);
    if (!tenant) this.tenants.set(tenantId, (tenant = { all: new Set(), users: new Map() }));
    let set = tenant.all;
    if (userId !== null) {
      set = tenant.users.get(userId) ?? new Set();
      tenant.users.set(userId, set);
    }
    set.add(feed);
    this.size++;
  }

  remove(feed: Feed): void {
    const { tenantId, userId } = feed.filter;
    const tenant = this.tenants.get(tenantId);
    const set = userId === null ? tenant?.all : tenant?.users.get(userId);
    if (!tenant || !set?.delete(feed)) return;
    this.size--;
    if (userId !== null && set.size === 0) tenant.users.delete(userId);
    if (tenant.all.size === 0 && tenant.users.size === 0) this.tenants.delete(tenantId);
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  /**
   * Hands each interested feed its keys (without waiting on any of them) and
   * returns the feeds that took some: O(keys + the subscribers concerned).
   */
  dispatch(tenantId: string, pairs: AnnouncedKey[]): Feed[] {
    const tenant = this.tenants.get(tenantId);
    if (!tenant || pairs.length === 0) return [];
    const concerned: Feed[] = [];
    if (tenant.all.size) {
      const ids = pairs.map(([id]) => id);
      for (const feed of [...tenant.all]) if (feed.announce(ids)) concerned.push(feed);
    }
    if (tenant.users.size === 0) return concerned;
    const byUser = new Map<string, string[]>();
    for (const [id, userId] of pairs) {
      if (!tenant.users.has(userId)) continue;
      const ids = byUser.get(userId);
      if (ids) ids.push(id);
      else byUser.set(userId, [id]);
    }
    for (const [userId, ids] of byUser) {
      const feeds = tenant.users.get(userId);
      if (feeds) for (const feed of [...feeds]) if (feed.announce(ids)) concerned.push(feed);
    }
    return concerned;
  }

  closeAll(): void {
    for (const tenant of [...this.tenants.values()]) {
      for (const feed of [...tenant.all]) void feed.return();
      for (const set of [...tenant.users.values()]) for (const feed of [...set]) void feed.return();
    }
  }
}
