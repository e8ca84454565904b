// `npm run token`: mints an HS256 token with the server's secret (JWT_SECRET, or the development secret).
// Bad input is one line on stderr and exit code 1; the token alone goes to stdout, so `$(npm run -s token …)` works.
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, isUuid, lifetimeProblem, mintToken } from '../src/core/auth.js';
import { loadConfig } from '../src/config.js';
import { LOCALES, supportedLocale } from '../src/core/i18n/index.js';
import { ROLES, type Role } from '../src/core/permissions.js';
import { emailAddressProblem } from '../src/core/validate.js';

const USAGE = `Usage: npm run -s token -- --role <role> --tenant <uuid> --user <uuid> [options]

Prints a signed token for the API (Authorization: Bearer <token>) on stdout.

  --role <role>      ${ROLES.join(', ')} (service is the integration role)
  --tenant <uuid>    the tenant the caller belongs to
  --user <uuid>      the caller's user id (their profile is created on first use)
  --name <text>      display name for the profile
  --email <address>  email for the profile
  --locale <tag>     the user's language (${LOCALES.join(', ')}, BCP-47: es-MX); taken while their
                     profile has none
  --expires <time>   lifetime, e.g. 30m, 12h, 7d (default 12h; the server refuses more than
                     JWT_MAX_LIFETIME_SECONDS, 30 days unless set; refused here too)
  -h, --help         this text

Signs with JWT_SECRET, or without it the development secret of \`npm start\` (.data/dev-jwt-secret).`;

class UsageError extends Error {}

/** A lifetime jose accepts and that reads unambiguously: a positive number and a unit. */
const LIFETIME =
  /^(\d+)\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)$/i;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** The seconds a lifetime that matches LIFETIME stands for, as jose reads it (every unit is told by its initial). */
function lifetimeSeconds(text: string): number {
  const [, count, unit] = LIFETIME.exec(text)!;
  return Number(count) * UNIT_SECONDS[unit![0]!.toLowerCase()]!;
}

/** "2592000 s" in the unit a person would use: "30 days". */
function inWords(seconds: number): string {
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ] as const)
    if (seconds % size === 0) return `${seconds / size} ${unit}${seconds === size ? '' : 's'}`;
  return `${seconds} s`;
}

async function main(args: string[]): Promise<number> {
  if (args.length === 0) {
    console.error(USAGE);
    return 1;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        role: { type: 'string' },
        tenant: { type: 'string' },
        user: { type: 'string' },
        name: { type: 'string' },
        email: { type: 'string' },
        locale: { type: 'string' },
        expires: { type: 'string', default: '12h' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown option ${/'([^']+)'/.exec(message)?.[1]}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(`unexpected argument ${/'([^']+)'/.exec(message)?.[1]}`);
    throw new UsageError(message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  for (const required of ['role', 'tenant', 'user'] as const) {
    if (!values[required]) throw new UsageError(`--${required} is required`);
  }
  const role = values.role as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got "${values.role}")`);
  if (!isUuid(values.tenant)) throw new UsageError(`--tenant must be a UUID (got "${values.tenant}")`);
  if (!isUuid(values.user)) throw new UsageError(`--user must be a UUID (got "${values.user}")`);
  // The server would drop such a claim silently: say so here instead.
  const emailProblem = values.email === undefined ? undefined : emailAddressProblem(values.email);
  if (emailProblem) throw new UsageError(`--email ${emailProblem.message} (got ${JSON.stringify(values.email)})`);
  if (values.locale !== undefined && !supportedLocale(values.locale))
    throw new UsageError(
      `--locale must be a BCP-47 tag of ${LOCALES.join(', ')} (got ${JSON.stringify(values.locale)})`,
    );
  if (!LIFETIME.test(values.expires))
    throw new UsageError(`--expires must be a number and a unit such as 30m, 12h or 7d (got "${values.expires}")`);

  const config = loadConfig();
  if (!config.auth.jwtSecret)
    throw new UsageError('tokens can only be minted with an HS256 JWT_SECRET (JWKS_URL is set)');
  // The server's own rule, without the clock skew (which is for the issuer's clock, not ours).
  const maxLifetime = config.auth.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  if (lifetimeProblem(lifetimeSeconds(values.expires), maxLifetime, 0))
    throw new UsageError(
      `--expires ${values.expires} is longer than the server accepts: at most ${inWords(maxLifetime)} ` +
        `(JWT_MAX_LIFETIME_SECONDS=${maxLifetime})`,
    );
  const token = await mintToken({
    secret: config.auth.jwtSecret,
    tenantId: values.tenant,
    userId: values.user,
    role,
    name: values.name,
    email: values.email,
    locale: values.locale,
    expiresIn: values.expires,
  });
  console.error(`# role=${role} tenant=${values.tenant} user=${values.user} expires in ${values.expires}`);
  console.log(token);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Configuration problems (loadConfig) are as much the caller's to fix as a bad flag: one line, no stack.
  console.error(`token: ${(error as Error).message}${error instanceof UsageError ? ' (see --help)' : ''}`);
  process.exitCode = 1;
}
