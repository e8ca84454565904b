import { randomUUID } from 'node:crypto';
import {
  CreateQuestionDocument,
  SaveQuizAnswerDocument,
  SetCourseQuizDocument,
  StartQuizAttemptDocument,
  SubmitQuizAttemptDocument,
  type AnswerInput,
  type CreateTrainingCourseInput,
  type QuestionInput,
  type QuizAttemptFieldsFragment,
  type QuizInput,
} from '../../src/generated/operations/graphql.js';
import { ok, type Actor } from './server.js';
import { assignCourse, createCourse, startAssignment } from './training.js';

/** Quizzes through the API: a course with a quiz over its own questions, attempts taken as the assignee would. */

export type Attempt = QuizAttemptFieldsFragment;
export type ShownQuestion = Attempt['questions'][number];

/** Records the actor's profile (the API does on a first request), so they can be assigned training. */
export async function signIn(actor: Actor): Promise<void> {
  await ok(actor.request('{ me { id } }'));
}

export async function createQuestion(officer: Actor, input: QuestionInput): Promise<string> {
  return (await ok(officer.request(CreateQuestionDocument, { input }))).createQuestion.id;
}

export interface QuizSetup {
  tag: string;
  courseId: string;
  questionIds: string[];
}

/**
 * A course whose quiz draws from `questions` (tagged with a tag of their own), by default every one of them per
 * attempt, pass mark 70, unlimited attempts without cooldown, reviewing answers; the course as `course` says (by
 * default without requirements: a pass is recorded as evidence and completes nothing).
 */
export async function courseWithQuiz(
  officer: Actor,
  questions: Omit<QuestionInput, 'tags'>[],
  quiz: Partial<QuizInput> = {},
  course: Partial<CreateTrainingCourseInput> = {},
): Promise<QuizSetup> {
  const tag = `quiz-${randomUUID().slice(0, 8)}`;
  const questionIds: string[] = [];
  for (const question of questions) questionIds.push(await createQuestion(officer, { ...question, tags: [tag] }));
  const courseId = await createCourse(officer, {
    title: `Quiz course ${tag}`,
    category: 'EQUIPMENT_SAFETY',
    ...course,
  });
  const input: QuizInput = {
    tags: [tag],
    questionCount: questions.length,
    passMark: 70,
    cooldownMinutes: 0,
    review: 'ANSWERS',
    ...quiz,
  };
  await ok(officer.request(SetCourseQuizDocument, { courseId, input }));
  return { tag, courseId, questionIds };
}

/** Assigns the course to the worker and starts the assignment; its id. */
export async function startedAssignment(officer: Actor, worker: Actor, courseId: string): Promise<string> {
  const assignmentId = await assignCourse(officer, courseId, worker.userId);
  await startAssignment(worker, assignmentId);
  return assignmentId;
}

export async function startAttempt(worker: Actor, assignmentId: string): Promise<Attempt> {
  return (await ok(worker.request(StartQuizAttemptDocument, { assignmentId }))).startQuizAttempt;
}

export async function saveAnswer(worker: Actor, attemptId: string, questionId: string, answer: AnswerInput) {
  return ok(worker.request(SaveQuizAnswerDocument, { attemptId, questionId, answer }));
}

export async function submitAttempt(worker: Actor, attemptId: string): Promise<Attempt> {
  return (await ok(worker.request(SubmitQuizAttemptDocument, { attemptId }))).submitQuizAttempt;
}

/** The id of the choice (or MATCHING item) the question shows with this text. */
export function shownId(question: ShownQuestion, text: string, among: 'choices' | 'items' = 'choices'): string {
  const found = (question[among] ?? []).find((choice) => choice.text === text);
  if (!found) throw new Error(`question "${question.text}" shows no ${among} "${text}"`);
  return found.id;
}

/** Starts an attempt, saves the answer each question gets from `answer`, submits it; the submitted attempt. */
export async function takeQuiz(
  worker: Actor,
  assignmentId: string,
  answer: (question: ShownQuestion) => AnswerInput | null,
): Promise<Attempt> {
  const attempt = await startAttempt(worker, assignmentId);
  for (const question of attempt.questions) {
    const given = answer(question);
    if (given) await saveAnswer(worker, attempt.id, question.id, given);
  }
  return submitAttempt(worker, attempt.id);
}
