import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CreateTrainingCourseDocument,
  WebMyLocaleDocument,
} from '../../src/generated/operations/graphql.js';
import { ok, type Actor } from '../support/server.js';
import { region, useWebApp } from './browser.js';

/**
 * The web app in the person's language, in a real browser: a worker switches to Polish in the header and keeps
 * it after a reload and on another device (their profile holds it); an officer whose language is Spanish
 * manages courses and assignments in Spanish.
 */

const web = useWebApp();
let officer: Actor;
let worker: Actor;
/** Polls for what a page shows: the machine running the tests may be slow. */
const PAGE = { timeout: 20_000 };

beforeAll(async () => {
  officer = await web.server.actor('safety_officer', { name: 'Olga Officer' });
  worker = await web.server.actor('worker', { tenantId: officer.tenantId, name: 'Łukasz Żółć' });
  // A person exists once they have signed in.
  await ok(worker.request(WebMyLocaleDocument, {}));
  const { createTrainingCourse: course } = await ok(
    officer.request(CreateTrainingCourseDocument, {
      input: { title: 'Forklift Safety', category: 'EQUIPMENT_SAFETY' },
    }),
  );
  await ok(
    officer.request(AssignTrainingCourseDocument, {
      input: { courseId: course.id, userId: worker.userId, dueDate: '2030-01-31' },
    }),
  );
}, 360_000);

/** A new device (no storage) whose browser speaks English, signed in with the token. */
const open = (token: string, path = '/') =>
  web.open(token, path, { viewport: { width: 1280, height: 900 }, locale: 'en-US' });

const lang = (page: Page) => page.evaluate('document.documentElement.lang');

describe('a worker picks their language', () => {
  it('switches to Polski at once, saves it to their profile, and keeps it after a reload and on another device', async () => {
    const page = await open(worker.token);
    await page.getByRole('heading', { name: 'Training Center' }).waitFor(PAGE);
    const picker = page.getByRole('combobox', { name: 'Language' });
    // Each language by its own name.
    await expect(picker.locator('option').allTextContents()).resolves.toEqual([
      'English',
      'Español',
      'Polski',
      'Tiếng Việt',
    ]);
    const card = region(page, 'To do').getByRole('listitem').filter({ hasText: 'Forklift Safety' });
    await expect.poll(() => card.textContent(), PAGE).toContain('Jan 31, 2030');

    await picker.selectOption({ label: 'Polski' });
    // No reload: the screen is Polish, dates in Polish words, the page's language says so.
    await page.getByRole('heading', { name: 'Centrum szkoleń' }).waitFor(PAGE);
    const polishCard = region(page, 'Do zrobienia').getByRole('listitem').filter({ hasText: 'Forklift Safety' });
    await expect.poll(() => polishCard.textContent(), PAGE).toContain('31 sty 2030');
    expect(await polishCard.textContent()).toContain('Bezpieczeństwo sprzętu');
    expect(await page.getByRole('button', { name: 'Wyloguj' }).isVisible()).toBe(true);
    expect(await lang(page)).toBe('pl');
    expect(await page.title()).toBe('Szkolenia BHP');
    await expect.poll(async () => (await ok(worker.request(WebMyLocaleDocument, {}))).me.locale, PAGE).toBe('pl');

    await page.reload();
    await page.getByRole('heading', { name: 'Centrum szkoleń' }).waitFor(PAGE);
    await expect.poll(() => polishCard.textContent(), PAGE).toContain('31 sty 2030');
    expect(await page.getByRole('combobox', { name: 'Język' }).inputValue()).toBe('pl');
    expect(await lang(page)).toBe('pl');

    // Another device, an English browser, the same token (no locale claim): the profile decides.
    const other = await open(worker.token);
    await other.getByRole('heading', { name: 'Centrum szkoleń' }).waitFor(PAGE);
    expect(await lang(other)).toBe('pl');

    // And back: English again, saved too.
    await other.getByRole('combobox', { name: 'Język' }).selectOption({ label: 'English' });
    await other.getByRole('heading', { name: 'Training Center' }).waitFor(PAGE);
    await expect.poll(async () => (await ok(worker.request(WebMyLocaleDocument, {}))).me.locale, PAGE).toBe('en');
  }, 120_000);
});

describe('an officer whose language is Spanish', () => {
  it('sees Training Analytics, Courses, Assignments and Auto-assign in Spanish, dates and names too', async () => {
    const spanish = await web.server.actor('safety_officer', { tenantId: officer.tenantId, locale: 'es' });
    const page = await open(spanish.token, '/analytics');
    await page.getByRole('heading', { name: 'Análisis de formación', level: 1 }).waitFor(PAGE);
    expect(await lang(page)).toBe('es');
    expect(await page.getByRole('combobox', { name: 'Idioma' }).inputValue()).toBe('es');

    const courses = region(page, 'Cursos');
    await courses.getByLabel('Buscar cursos').waitFor(PAGE);
    expect(await courses.getByRole('button', { name: 'Crear curso' }).isVisible()).toBe(true);
    expect(await courses.getByLabel('Válido durante (meses)').isVisible()).toBe(true);
    await expect.poll(() => courses.textContent(), PAGE).toContain('Forklift Safety · Seguridad de equipos');
    const categories = courses.getByRole('combobox', { name: 'Categoría', exact: true }).last().locator('option');
    expect(await categories.allTextContents()).toContain('Respuesta ante emergencias');

    const assignments = region(page, 'Asignaciones');
    const row = assignments.getByRole('row').filter({ hasText: 'Łukasz Żółć' });
    await expect.poll(() => row.textContent(), PAGE).toContain('31 ene 2030');
    expect(await row.textContent()).toContain('Pendiente');
    expect(await row.getByRole('button', { name: 'Cancelar Forklift Safety para Łukasz Żółć' }).isVisible()).toBe(true);
    expect(await assignments.getByRole('columnheader', { name: 'Persona' }).isVisible()).toBe(true);
    expect(await assignments.getByLabel('Curso que asignar').isVisible()).toBe(true);
    expect(await assignments.getByRole('button', { name: 'Asignar', exact: true }).isVisible()).toBe(true);

    const auto = region(page, 'Asignación automática');
    expect(await auto.getByLabel('Puntuación de riesgo mínima').isVisible()).toBe(true);
    await auto.getByRole('button', { name: 'Previsualizar' }).click();
    await auto.getByText(/^Vista previa: se crearían \d+ asignación\(es\)/).waitFor(PAGE);

    // The SPEC's English names are Spanish words here; nothing of the screens is left in English.
    const text = (await page.locator('main').textContent()) ?? '';
    for (const english of ['Assignments', 'Create course', 'Search courses', 'Past due', 'Live feed', 'Preview']) {
      expect(text, english).not.toContain(english);
    }
  }, 120_000);
});

describe("the API's errors in the person's language", () => {
  it('shows a Spanish officer both invalid fields of a course in Spanish, each beside its field, and a Polish one too', async () => {
    const spanish = await web.server.actor('safety_officer', { tenantId: officer.tenantId, locale: 'es' });
    const page = await open(spanish.token, '/analytics');
    const courses = region(page, 'Cursos');
    await courses.getByLabel('Título', { exact: true }).fill('Demasiado arriesgado');
    await courses.getByLabel('Umbral de riesgo (0–100)').fill('150');
    await courses.getByLabel('Duración (minutos)').fill('0');
    await courses.getByRole('button', { name: 'Crear curso' }).click();

    const threshold = courses.getByLabel('Umbral de riesgo (0–100)');
    await courses.getByText('Umbral de riesgo debe estar entre 0 y 100', { exact: true }).waitFor(PAGE);
    await courses.getByText('Duración debe ser un número entero entre 1 y 10000', { exact: true }).waitFor(PAGE);
    await expect(threshold.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await threshold.getAttribute('aria-describedby'))!.split(' ')[0];
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe('Umbral de riesgo debe estar entre 0 y 100');
    // Nothing of the server's English wording is shown.
    const text = (await courses.textContent()) ?? '';
    expect(text).not.toMatch(/must be|input\./);

    const polish = await web.server.actor('safety_officer', { tenantId: officer.tenantId, locale: 'pl' });
    const polishPage = await open(polish.token, '/analytics');
    const kursy = region(polishPage, 'Kursy');
    await kursy.getByLabel('Tytuł', { exact: true }).fill('Zbyt ryzykowny');
    await kursy.getByLabel('Próg ryzyka (0–100)').fill('-1');
    await kursy.getByLabel('Czas trwania (minuty)').fill('20000');
    await kursy.getByRole('button', { name: 'Utwórz kurs' }).click();
    await kursy.getByText('Próg ryzyka: musi wynosić od 0 do 100', { exact: true }).waitFor(PAGE);
    await kursy.getByText('Czas trwania: musi być liczbą całkowitą od 1 do 10000', { exact: true }).waitFor(PAGE);
  }, 120_000);
});
