import { describe, expect, it } from 'vitest';
import { certificateSettings } from '../../src/certificates/settings.js';
import { ConfigurationError, loadConfig, publicUrlFor } from '../../src/config.js';
import { createRateLimiter } from '../../src/core/rate-limit.js';

/** The per-address lookup limit and the PUBLIC_URL setting, as pure functions. */

describe('createRateLimiter', () => {
  it('allows `limit` uses per key per window, then says how many seconds to wait', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(60);
    expect(limiter.take('b')).toBe(0); // another address has its own budget
    now += 45_500;
    expect(limiter.take('a')).toBe(15); // rounded up: never 0 while refused
    now += 14_500;
    expect(limiter.take('a')).toBe(0); // a new window
  });
});

describe('PUBLIC_URL', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: 'secret' };

  it('defaults to the local server on PORT, and to the bound port when PORT is 0', () => {
    expect(loadConfig(base).publicUrl).toBe('http://localhost:4000');
    expect(loadConfig({ ...base, PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    const ephemeral = loadConfig({ ...base, PORT: '0' });
    expect(publicUrlFor(ephemeral, 51234)).toBe('http://localhost:51234');
  });

  it('takes an absolute http(s) URL without trailing slash, and refuses anything else at start-up', () => {
    const config = loadConfig({ ...base, PUBLIC_URL: 'https://training.example.com/app/' });
    expect(config.publicUrl).toBe('https://training.example.com/app');
    expect(publicUrlFor(config, 51234)).toBe('https://training.example.com/app');
    for (const bad of ['training.example.com', 'ftp://example.com', 'https://example.com/?x=1']) {
      expect(() => loadConfig({ ...base, PUBLIC_URL: bad })).toThrow(ConfigurationError);
    }
  });

  it('reads the lookup limit and TRUST_PROXY', () => {
    expect(loadConfig(base)).toMatchObject({ trustProxy: false });
    expect(certificateSettings.of(loadConfig(base)).lookupsPerMinute).toBe(60);
    const changed = loadConfig({ ...base, CERTIFICATE_LOOKUPS_PER_MINUTE: '5', TRUST_PROXY: 'true' });
    expect(changed).toMatchObject({ trustProxy: true });
    expect(certificateSettings.of(changed).lookupsPerMinute).toBe(5);
    expect(() => loadConfig({ ...base, CERTIFICATE_LOOKUPS_PER_MINUTE: '0' })).toThrow(
      /CERTIFICATE_LOOKUPS_PER_MINUTE/,
    );
  });
});
