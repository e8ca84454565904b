import { builder } from '../core/builder.js';
import { badInput } from '../core/errors.js';
import { Rule } from '../core/field-rules.js';

/** What completing a course takes: `Course.requirements`, set through `requirements` on create and update. */

interface RequirementsShape {
  quiz: boolean;
  content: boolean;
  practicalEvaluation: boolean;
}

export const CourseRequirements = builder.objectRef<RequirementsShape>('CourseRequirements').implement({
  description:
    'What completing the course takes. All false: the assignee completes it with the result they report ' +
    '(SELF_REPORT). Otherwise the system completes it when the last required piece of evidence passes, and ' +
    'reporting a result is EVIDENCE_REQUIRED (an integration may still complete it).',
  fields: (t) => ({
    quiz: t.exposeBoolean('quiz', { description: "A passed attempt at the course's quiz." }),
    content: t.exposeBoolean('content', { description: 'The required content modules done.' }),
    practicalEvaluation: t.exposeBoolean('practicalEvaluation', {
      description: 'A passed practical evaluation (recordPracticalEvaluation).',
    }),
  }),
});

export const CourseRequirementsInput = builder.inputType('CourseRequirementsInput', {
  description: 'On create, an absent field is false; on update, an absent field keeps its value.',
  fields: (t) => ({
    quiz: t.boolean(),
    content: t.boolean(),
    practicalEvaluation: t.boolean(),
  }),
});

/** `Course.requirements` from the course's columns. */
export const requirementsOf = (course: {
  requiresQuiz: boolean;
  requiresContent: boolean;
  requiresPracticalEvaluation: boolean;
}): RequirementsShape => ({
  quiz: course.requiresQuiz,
  content: course.requiresContent,
  practicalEvaluation: course.requiresPracticalEvaluation,
});

/** The columns a `requirements` input sets (absent: unchanged); null is refused. */
export function requirementsData(input: typeof CourseRequirementsInput.$inferInput | null | undefined) {
  if (input === undefined) return {};
  if (input === null) throw badInput('input.requirements', 'must not be null', Rule.notNull);
  const flag = (name: keyof RequirementsShape): boolean | undefined => {
    const value = input[name];
    if (value === null) throw badInput(`input.requirements.${name}`, 'must not be null', Rule.notNull);
    return value;
  };
  return {
    requiresQuiz: flag('quiz'),
    requiresContent: flag('content'),
    requiresPracticalEvaluation: flag('practicalEvaluation'),
  };
}
