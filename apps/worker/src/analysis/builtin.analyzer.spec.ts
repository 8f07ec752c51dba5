import { validate } from '@taskflow/events';
import { AnalysisResultSchema, type AnalysisInput } from './analyzer';
import { BuiltinAnalyzer } from './builtin.analyzer';

const CONCRETE_DESCRIPTION =
  'Users should be able to download the monthly report as a CSV file from the reports page, with one row per invoice.';

function input(overrides: Partial<AnalysisInput> = {}): AnalysisInput {
  return {
    title: 'Add CSV export to the reports page',
    description: CONCRETE_DESCRIPTION,
    repo: 'acme/shop',
    taskTypeHint: 'auto',
    filesHint: [],
    acceptanceCriteria: [],
    priority: 'normal',
    preferredAgent: 'auto',
    clarifications: [],
    ...overrides,
  };
}

const analyzer = new BuiltinAnalyzer();
const analyze = (overrides: Partial<AnalysisInput> = {}) => analyzer.analyze(input(overrides));

describe('BuiltinAnalyzer', () => {
  describe('clarification questions', () => {
    it.each([
      ['Fix it', 'Fix it'],
      ['Broken', 'It is broken.'],
      ['Checkout', 'Fix this'],
      ['Improve the dashboard', 'Make it better!'],
    ])('asks 1–3 questions for a vague task (title %j, description %j)', async (title, description) => {
      const result = await analyze({ title, description });
      expect(result.needsClarification).toBe(true);
      expect(result.questions.length).toBeGreaterThanOrEqual(1);
      expect(result.questions.length).toBeLessThanOrEqual(3);
      for (const q of result.questions) expect(q.trim()).not.toBe('');
    });

    it('asks all three questions when there is nothing concrete at all', async () => {
      const result = await analyze({ title: 'Fix it', description: 'Fix it' });
      expect(result.questions).toHaveLength(3);
      expect(result.questions[0]).toMatch(/which part/i);
      expect(result.questions[1]).toMatch(/done/i);
      expect(result.questions[2]).toMatch(/reproduce/i);
    });

    it('asks nothing of a short task that names both files and criteria', async () => {
      const result = await analyze({
        title: 'Login',
        description: 'It is broken.',
        filesHint: ['src/auth/login.ts'],
        acceptanceCriteria: ['Users can log in again'],
      });
      expect(result.needsClarification).toBe(false);
      expect(result.questions).toEqual([]);
    });

    it('skips the "where" question for a short task that names files but no criteria', async () => {
      const result = await analyze({ title: 'Login', description: 'It is broken.', filesHint: ['src/auth/login.ts'] });
      expect(result.questions).toEqual([
        'What should happen instead — how will we know the task is done?',
        'Can you give steps to reproduce or an example input and the output you expect?',
      ]);
    });

    it.each([
      ['Refactor the error handling', 'Move the retry logic out of the controllers.', 'refactor'],
      ['Fix the failing login tests', 'They time out on CI since the upgrade.', 'bug-fix'],
      ['Add dark mode', 'Add a dark theme to src/theme/error.tsx and the settings page.', 'feature'],
    ] as const)('takes the first intent word, title first, ignoring file paths: %s', async (title, description, type) => {
      expect((await analyze({ title, description })).taskType).toBe(type);
    });

    it('treats a vague stock-phrase title as vague even with a longer description', async () => {
      const result = await analyze({ title: 'Fix it', description: 'The thing on the page does not do what it should do anymore.' });
      expect(result.needsClarification).toBe(true);
    });

    it('asks nothing for a concrete task', async () => {
      const result = await analyze();
      expect(result.needsClarification).toBe(false);
      expect(result.questions).toEqual([]);
    });

    it('never asks again once clarifications were given', async () => {
      const first = await analyze({ title: 'Fix it', description: 'Fix it' });
      expect(first.needsClarification).toBe(true);
      const second = await analyze({
        title: 'Fix it',
        description: 'Fix it',
        clarifications: first.questions.map((question) => ({ question, answer: 'ok' })),
      });
      expect(second.needsClarification).toBe(false);
      expect(second.questions).toEqual([]);
    });

    it('never asks again even when the answers are themselves vague or empty', async () => {
      const result = await analyze({
        title: 'Broken',
        description: 'It is broken.',
        clarifications: [{ question: 'Which part?', answer: '' }],
      });
      expect(result.needsClarification).toBe(false);
      expect(result.questions).toEqual([]);
    });
  });

  describe('task type', () => {
    it.each([
      ['Fix the login bug', 'The login form throws when the password field is left empty and the user presses enter.', 'bug-fix'],
      ['Checkout page', 'Fix the total shown in the cart summary, it does not include the shipping costs at all.', 'bug-fix'],
      ['Billing module', 'Add unit tests for the invoice rounding rules so that every branch is exercised by them.', 'test-coverage'],
      ['Raise coverage', 'Raise the coverage of the billing module above eighty percent with meaningful assertions.', 'test-coverage'],
      ['Refactor the payment service', 'Split the payment service into a gateway adapter and a domain service for clarity.', 'refactor'],
      ['Consistent naming', 'Rename userId to accountId across the accounts module so the naming matches the database.', 'refactor'],
      ['Add CSV export to the reports page', CONCRETE_DESCRIPTION, 'feature'],
    ] as const)('detects %j as %s', async (title, description, expected) => {
      const result = await analyze({ title, description });
      expect(result.taskType).toBe(expected);
    });

    it('reads keywords in the clarification answers too', async () => {
      const result = await analyze({
        title: 'Signup page',
        description: 'Improve it',
        clarifications: [{ question: 'What happens?', answer: 'The signup form crashes when the email has a plus sign.' }],
      });
      expect(result.taskType).toBe('bug-fix');
    });

    it.each(['feature', 'refactor', 'test-coverage', 'bug-fix'] as const)('lets the type hint %s override the keywords', async (hint) => {
      const result = await analyze({
        title: 'Fix the bug and add tests',
        description: 'Fix the crash in the importer, refactor the parser and add tests for the error paths.',
        taskTypeHint: hint,
      });
      expect(result.taskType).toBe(hint);
    });

    it('recommends the agent that goes with the type', async () => {
      expect((await analyze({ taskTypeHint: 'bug-fix' })).recommendedAgent).toBe('codex');
      expect((await analyze({ taskTypeHint: 'feature' })).recommendedAgent).toBe('claude-code');
      expect((await analyze({ taskTypeHint: 'refactor' })).recommendedAgent).toBe('claude-code');
      expect((await analyze({ taskTypeHint: 'test-coverage' })).recommendedAgent).toBe('copilot');
    });
  });

  describe('likely files', () => {
    it('extracts files from the title, description and answers, after the files hint, without duplicates', async () => {
      const result = await analyze({
        title: 'Speed up apps/api/src/users.ts',
        description:
          'Cache the lookups in src/api/users.ts and `libs/db/schema.sql`, see also (docs/caching.md) and src/api/users.ts again.',
        filesHint: ['src/api/users.ts', 'config/app.yaml'],
        clarifications: [{ question: 'Where?', answer: 'Also README.md and "web/src/App.tsx".' }],
      });
      expect(result.likelyFiles).toEqual([
        'src/api/users.ts',
        'config/app.yaml',
        'apps/api/src/users.ts',
        'libs/db/schema.sql',
        'docs/caching.md',
        'README.md',
        'web/src/App.tsx',
      ]);
    });

    // Names with several dots (users.controller.ts, vite.config.ts) once went unnoticed.
    it('extracts file names that contain more than one dot', async () => {
      const result = await analyze({
        description: 'Move the guard from apps/api/src/users.controller.ts into vite.config.ts and cover it in src/users.spec.ts.',
      });
      expect(result.likelyFiles).toEqual(['apps/api/src/users.controller.ts', 'vite.config.ts', 'src/users.spec.ts']);
    });

    it('keeps the files hint even when the text names no files', async () => {
      const result = await analyze({ filesHint: ['src/reports/export.ts'] });
      expect(result.likelyFiles).toEqual(['src/reports/export.ts']);
    });

    it('is empty when nothing names a file', async () => {
      const result = await analyze();
      expect(result.likelyFiles).toEqual([]);
    });

    it('does not ask "which part" once a file is known from the text', async () => {
      const result = await analyze({ title: 'Broken', description: 'Fix src/cart.ts' });
      expect(result.likelyFiles).toEqual(['src/cart.ts']);
      expect(result.questions.some((q) => /which part/i.test(q))).toBe(false);
    });
  });

  describe('suggested criteria', () => {
    it('suggests criteria when the author gave none', async () => {
      const result = await analyze();
      expect(result.suggestedCriteria.length).toBeGreaterThan(0);
    });

    it('suggests nothing when the author gave criteria', async () => {
      const result = await analyze({ acceptanceCriteria: ['The CSV opens in Excel'] });
      expect(result.suggestedCriteria).toEqual([]);
    });

    it('suggests criteria that fit the type', async () => {
      const bug = await analyze({ taskTypeHint: 'bug-fix' });
      expect(bug.suggestedCriteria.join(' ')).toMatch(/regression test/i);
      const refactor = await analyze({ taskTypeHint: 'refactor' });
      expect(refactor.suggestedCriteria.join(' ')).toMatch(/unchanged/i);
    });
  });

  describe('summary', () => {
    it('names the type and the title', async () => {
      const result = await analyze();
      expect(result.summary.startsWith('feature: Add CSV export to the reports page')).toBe(true);
    });

    it('is capped for very long input', async () => {
      const result = await analyze({ description: `${'word '.repeat(400)}.` });
      expect(result.summary.length).toBeLessThanOrEqual(280);
      expect(result.summary.endsWith('…')).toBe(true);
    });
  });

  it('is deterministic: the same input gives a deep-equal result', async () => {
    const cases: Array<Partial<AnalysisInput>> = [
      {},
      { title: 'Fix it', description: 'Fix it' },
      { filesHint: ['a/b.ts'], description: 'Refactor a/b.ts and c/d.ts into one module, then rename the exports.' },
      { clarifications: [{ question: 'Which page?', answer: 'The settings page, src/settings.tsx' }] },
    ];
    for (const c of cases) {
      const a = await analyze(c);
      const b = await new BuiltinAnalyzer().analyze(input(c));
      expect(b).toEqual(a);
    }
  });

  it('does not mutate its input', async () => {
    const i = input({ filesHint: ['x/y.ts'], acceptanceCriteria: ['works'] });
    const copy = structuredClone(i);
    await analyzer.analyze(i);
    expect(i).toEqual(copy);
  });

  it.each<[string, Partial<AnalysisInput>]>([
    ['concrete', {}],
    ['vague', { title: 'Fix it', description: 'Fix it' }],
    ['clarified', { title: 'Fix it', description: 'Fix it', clarifications: [{ question: 'Where?', answer: 'src/a.ts crashes' }] }],
    ['long', { title: 'T'.repeat(300), description: 'D '.repeat(2000) }],
    ['many files', { description: Array.from({ length: 40 }, (_, n) => `src/f${n}.ts`).join(' ') }],
  ])('produces a result valid against AnalysisResultSchema (%s)', async (_name, overrides) => {
    const result = await analyze(overrides);
    const check = validate(AnalysisResultSchema, result);
    expect(check.ok ? [] : check.issues).toEqual([]);
  });

  it('says in its label that it is not an LLM', () => {
    expect(analyzer.label).toMatch(/no LLM/i);
  });
});
