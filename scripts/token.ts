// `npm run token -- --role admin --tenant <uuid> --user <uuid> [--name "Ada"] [--email a@b.c] [--expires 12h]`
// Mints an HS256 token with the server's secret (JWT_SECRET, or the development secret).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { isUuid, mintToken } from '../src/core/auth.js';
import { loadConfig } from '../src/core/config.js';
import { ROLES, type Role } from '../src/core/permissions.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'admin' },
    tenant: { type: 'string' },
    user: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    expires: { type: 'string', default: '12h' },
  },
});

const role = values.role as Role;
if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
const tenantId = values.tenant ?? randomUUID();
const userId = values.user ?? randomUUID();
if (!isUuid(tenantId) || !isUuid(userId)) throw new Error('--tenant and --user must be UUIDs');

const config = loadConfig();
if (!config.auth.jwtSecret) throw new Error('Tokens can only be minted with an HS256 JWT_SECRET');
const token = await mintToken({
  secret: config.auth.jwtSecret,
  tenantId,
  userId,
  role,
  name: values.name,
  email: values.email,
  expiresIn: values.expires,
});
console.error(`# role=${role} tenant=${tenantId} user=${userId}`);
console.log(token);
