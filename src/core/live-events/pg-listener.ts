import pg from 'pg';
import { APP_ROLE } from '../app-role.js';
import type { Logger } from '../logger.js';
import type { AnnouncedChannel, AnnouncedKey, LiveChannel, TenantReader } from './channel.js';
import { route, type Listener, type ListenerHooks } from './listener.js';
import type { HubOptions } from './options.js';
import { RecentIds } from './recent-ids.js';

export interface PgListenerHooks extends ListenerHooks {
  /** Tenants that have subscribers of `channel` now: the only ones a catch-up needs to read. */
  tenantIds(channel: AnnouncedChannel): string[];
  recovered(count: number): void;
  /** The session is back after an outage: followed channels' payloads of the gap are lost. */
  resumed(): void;
}

/** Shows up in pg_stat_activity, so operators (and tests) can find the session. */
export const LISTENER_APPLICATION_NAME = 'safety-training-api:listener';

/**
 * The dedicated PostgreSQL listening session, with heartbeat, reconnect and catch-up.
 * NOTIFY has no replay, so after reconnecting the listener asks each announced
 * channel (per tenant with subscribers here, as the `service` role under RLS) for
 * the keys committed since its last confirmed heartbeat minus `catchUpMarginMs` —
 * the margin covers transactions that began before the outage and committed during
 * it, when the domain dates its rows by transaction start — and delivers those it
 * has not announced already (RecentIds). A transaction that ran longer than the
 * margin and committed during the outage can still be missed; the outage window is
 * logged either way.
 */
export class PgListener implements Listener {
  /** The established session; undefined while (re)connecting. */
  private client: pg.Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempts = 0;
  private closed = false;
  /** The database's clock at the last moment we know we were listening. */
  private lastAlive: Date | undefined;
  /** Per announced channel. */
  private readonly recent = new Map<AnnouncedChannel, RecentIds>();
  private readonly byName: Map<string, LiveChannel>;

  private constructor(
    private readonly url: string,
    private readonly channels: readonly LiveChannel[],
    private readonly options: HubOptions,
    private readonly log: Logger,
    private readonly hooks: PgListenerHooks,
  ) {
    this.byName = new Map(channels.map((channel) => [channel.name, channel]));
    for (const channel of channels) {
      if (channel.kind === 'announced') {
        this.recent.set(channel, new RecentIds(options.catchUpMarginMs + 3 * options.heartbeatMs));
      }
    }
  }

  static async start(
    url: string,
    channels: readonly LiveChannel[],
    options: HubOptions,
    log: Logger,
    hooks: PgListenerHooks,
  ): Promise<PgListener> {
    const listener = new PgListener(url, channels, options, log, hooks);
    await listener.connect();
    return listener;
  }

  listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.detach();
    await client?.end().catch(() => {});
  }

  /** One attempt; a failure schedules the next (or, on the very first start, fails start-up like migrations do). */
  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
    });
    client.on('notification', (message) => {
      const channel = this.byName.get(message.channel);
      if (channel && message.payload) route(channel, message.payload, this.hooks, this.unseen);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      // LISTEN takes an identifier, which cannot be a bind parameter: names are checked at start (checkChannels).
      for (const channel of this.channels) await client.query(`LISTEN "${channel.name}"`);
      const resumedAt = await this.now(client);
      // Listening again before reading the gap, so nothing falls between the two.
      if (this.lastAlive) {
        await this.catchUp(client, this.lastAlive, resumedAt);
        this.hooks.resumed();
      }
      if (this.closed) return void discard(client);
      this.client = client;
      this.lastAlive = resumedAt;
      this.attempts = 0;
      this.beat(client);
    } catch (error) {
      discard(client);
      if (!this.lastAlive) throw error;
      this.log.warn({ err: error, attempt: this.attempts }, 'reconnecting the LISTEN session failed');
      this.scheduleRetry();
    }
  }

  private readonly unseen = (channel: AnnouncedChannel, keys: AnnouncedKey[]): AnnouncedKey[] =>
    this.recent.get(channel)!.keepUnseen(keys);

  /** The database's clock; also proves the session answers within a heartbeat. */
  private async now(client: pg.Client): Promise<Date> {
    const timeout = this.options.heartbeatMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const { rows } = await Promise.race([
        client.query<{ now: Date }>('SELECT clock_timestamp() AS now'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the LISTEN session did not answer within ${timeout} ms`)),
            timeout,
          );
        }),
      ]);
      return rows[0]!.now;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A half-open TCP connection raises no error: only a query that goes unanswered reveals it. */
  private beat(client: pg.Client): void {
    this.heartbeat = setTimeout(() => {
      this.now(client).then(
        (now) => {
          if (this.client !== client) return;
          this.lastAlive = now;
          this.beat(client);
        },
        (error: unknown) => this.lost(client, error),
      );
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** The established session failed: drop it and reconnect. Failures while connecting are `connect`'s to handle. */
  private lost(client: pg.Client, error: unknown): void {
    if (this.closed || this.client !== client) return;
    this.detach();
    discard(client);
    for (const recent of this.recent.values()) recent.holdEviction();
    this.log.warn(
      { err: error, lastAlive: this.lastAlive },
      'lost the LISTEN session: live events are paused until it is back',
    );
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    const backoff = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** this.attempts++);
    this.retry = setTimeout(
      () => {
        this.retry = undefined;
        void this.connect();
      },
      Math.round(backoff * (0.5 + Math.random() / 2)), // jitter: instances do not reconnect in lockstep
    );
    this.retry.unref();
  }

  private detach(): void {
    this.client = undefined;
    clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * Announces the keys committed while nobody was listening, channel by channel.
   * Reads as the `service` role, tenant by tenant, so RLS applies even when the
   * connecting user is a plain table owner. A query error is logged and accepted
   * (retrying could never succeed); a lost connection is thrown, so the next
   * attempt reads the same window again.
   */
  private async catchUp(client: pg.Client, lastAlive: Date, resumedAt: Date): Promise<void> {
    const since = new Date(lastAlive.getTime() - this.options.catchUpMarginMs);
    const window = { from: lastAlive, to: resumedAt };
    const seconds = Math.round((resumedAt.getTime() - lastAlive.getTime()) / 1000);
    const read: TenantReader = async <Row>(text: string, values: unknown[]) =>
      (await client.query(text, values)).rows as Row[];
    let recovered = 0;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SELECT app_set_local('role', $1, 'app.user_id', '', 'app.role', 'service')`, [APP_ROLE]);
      for (const [channel, recent] of this.recent) {
        for (const tenantId of this.hooks.tenantIds(channel)) {
          await client.query(`SELECT app_set_local('app.tenant_id', $1)`, [tenantId]);
          const missed = recent.keepUnseen(await channel.readMissed(read, { tenantId, since }));
          if (missed.length) this.hooks.announce(channel, tenantId, missed);
          recovered += missed.length;
        }
      }
      await client.query('COMMIT');
      this.log.warn(
        { ...window, recovered },
        `LISTEN session back after ~${seconds} s; delivered ${recovered} event(s) committed meanwhile`,
      );
    } catch (error) {
      await client.query('ROLLBACK'); // throws when the session is gone: the caller retries
      this.log.error(
        { err: error, ...window, recovered },
        `LISTEN session back after ~${seconds} s, but the catch-up failed: events committed in this window may not have been delivered live`,
      );
    } finally {
      this.hooks.recovered(recovered);
    }
    for (const recent of this.recent.values()) recent.resumeEviction();
  }
}

/** Ends a session we no longer use, without waiting on a peer that may be gone. */
function discard(client: pg.Client): void {
  client.removeAllListeners();
  client.on('error', () => {});
  void client.end().catch(() => {});
}
