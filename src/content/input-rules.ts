import { fieldRules } from '../core/field-rules.js';

/** Why a module, a launch or a cmi5 package is refused, beyond the rules of any input (src/core/field-rules.ts). */
export const ContentRule = fieldRules(
  'launchNotRecorded',
  'cmi5Package',
  'moduleCannotPlay',
  'cmi5FromPackage',
  'linkHasUrl',
);
