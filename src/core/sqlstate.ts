/**
 * PostgreSQL error codes (SQLSTATE) the API and its tests act on, by name, as
 * PostgreSQL's error-code appendix spells them.
 */

/** A row would duplicate a unique key (a second active assignment of a course, a second passed attempt…). */
export const UNIQUE_VIOLATION = '23505';
/** A row refers to a row that does not exist in the same tenant. */
export const FOREIGN_KEY_VIOLATION = '23503';
/** A value is outside a column's CHECK constraint (an unknown status, a score above 100…). */
export const CHECK_VIOLATION = '23514';
/** Row-level security or a guard trigger refused the statement. */
export const INSUFFICIENT_PRIVILEGE = '42501';
/** Two transactions waited for each other's locks; PostgreSQL aborted one of them. Retrying it succeeds. */
export const DEADLOCK_DETECTED = '40P01';
/** A transaction could not be serialised against a concurrent one (SERIALIZABLE, REPEATABLE READ). Retryable. */
export const SERIALIZATION_FAILURE = '40001';
/** A write inside a READ ONLY transaction (a query operation's, src/core/caller/index.ts). */
export const READ_ONLY_SQL_TRANSACTION = '25006';
