import { agentKey } from './agents.js';
import { XapiError } from './errors.js';
import { isObject, type Json } from './rules.js';

/**
 * What a launch token may store: statements of its own learner in its own registration, never the verbs cmi5
 * keeps for the LMS. The token is held by code in the learner's browser, so without this a learner could write
 * another's record, or waive their own module; a refused statement refuses the whole batch (nothing stored).
 */

/** Verbs only the LMS writes (cmi5: an AU sending them is rejected). */
const LMS_VERBS = new Set([
  'http://adlnet.gov/expapi/verbs/launched',
  'https://w3id.org/xapi/adl/verbs/abandoned',
  'https://w3id.org/xapi/adl/verbs/waived',
  'https://w3id.org/xapi/adl/verbs/satisfied',
]);

export interface LaunchScope {
  actor: Json;
  registration: string;
}

export function checkLaunchScope(statements: unknown[], scope: LaunchScope): void {
  const actor = agentKey(scope.actor);
  const registration = scope.registration.toLowerCase();
  statements.forEach((statement, index) => {
    const at = statements.length > 1 ? `statements[${index}]: ` : '';
    if (!isObject(statement)) return;
    if (!isObject(statement.actor) || agentKey(statement.actor) !== actor) {
      throw new XapiError(403, `${at}this launch token may only store statements whose actor is its learner`);
    }
    const context = isObject(statement.context) ? statement.context : {};
    if (typeof context.registration !== 'string' || context.registration.toLowerCase() !== registration) {
      throw new XapiError(403, `${at}this launch token may only store statements of its registration ${registration}`);
    }
    const verb = isObject(statement.verb) ? statement.verb.id : undefined;
    if (typeof verb === 'string' && LMS_VERBS.has(verb)) {
      throw new XapiError(403, `${at}${verb} is written by the LMS, not by a launched activity`);
    }
  });
}
