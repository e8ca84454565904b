const DAY_MS = 86_400_000;

/** Today's UTC calendar day, as the database's training_today() sees it. */
export function todayUtc(now: Date = new Date()): Date {
  // Arithmetic, not a formatted string parsed back: every status and expiry field of a page asks for it.
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}
