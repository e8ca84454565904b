import { random as seeded } from '../../tests/support/quiz-key.js';

/**
 * Generated score histories for the trend back-test: one score a day for `DAYS` days per entity, in five
 * families — rising (towards and past the threshold), flat, noisy (flat, twice the noise), falling, spiking (flat
 * with one high day) — at a noise level (standard deviation of a normal noise added to each day).
 * Deterministic: a seeded generator, so runs compare.
 */

export const DAYS = 90;
export const THRESHOLD = 60;
export const FAMILIES = ['rising', 'flat', 'noisy', 'falling', 'spiking'] as const;
export type Family = (typeof FAMILIES)[number];

export interface History {
  index: number;
  family: Family;
  /** Score of day 0 … DAYS − 1, 0–100, two decimals. */
  scores: number[];
  /** The same without the noise and the spike: the risk the scores measure. */
  underlying: number[];
}

export function histories(perFamily: number, noise: number, seed: number): History[] {
  const random = seeded(seed);
  const uniform = (low: number, high: number) => low + (high - low) * random();
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const clip = (score: number) => Math.round(Math.min(100, Math.max(0, score)) * 100) / 100;
  const all: History[] = [];
  for (const family of FAMILIES) {
    for (let n = 0; n < perFamily; n++) {
      const level = family === 'falling' ? uniform(45, 58) : family === 'rising' ? uniform(20, 45) : uniform(35, 52);
      const slope = family === 'rising' ? uniform(0.3, 1.5) : family === 'falling' ? -uniform(0.2, 1) : 0;
      const sigma = family === 'noisy' ? 2 * noise : noise;
      const spikeDay = Math.floor(uniform(10, DAYS));
      const underlying = Array.from({ length: DAYS }, (_, day) => clip(level + slope * day));
      const scores = underlying.map((value, day) => {
        const spike = family === 'spiking' && day === spikeDay ? uniform(15, 25) : 0;
        return clip(value + sigma * normal() + spike);
      });
      all.push({ index: all.length, family, scores, underlying });
    }
  }
  return all;
}

/**
 * The first day the entity's risk is at or above the threshold (its underlying score; `observed`: its first
 * noisy score there); undefined: never within the history.
 */
export function crossingDay(history: History, observed = false): number | undefined {
  const day = (observed ? history.scores : history.underlying).findIndex((score) => score >= THRESHOLD);
  return day < 0 ? undefined : day;
}
