/** Every role a token may carry. */
export const ROLES = ['admin', 'safety_officer', 'worker', 'service'] as const;
export type Role = (typeof ROLES)[number];
