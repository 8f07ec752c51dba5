import type { TaskSource } from '@taskflow/events';
import type { AnalysisResult } from '../analysis/analyzer';
import { issueContent, issueMarker, type IssueContentInput } from './issue-content';

const TASK_ID = '00000000-0000-4000-8000-000000000042';

function task(overrides: Partial<TaskSource> = {}): TaskSource {
  const created = new Date('2024-05-01T10:00:00.000Z');
  return {
    id: TASK_ID,
    title: 'Add CSV export',
    description: 'Users want to download the monthly report as CSV.',
    status: 'analyzing',
    seq: 3,
    isPrivate: false,
    orgId: 'org-1',
    createdBy: { id: 'user-1', username: 'ada', name: 'Ada' },
    createdAt: created,
    updatedAt: created,
    repo: 'acme/shop',
    taskTypeHint: 'auto',
    filesHint: [],
    acceptanceCriteria: [],
    priority: 'normal',
    preferredAgent: 'auto',
    summary: null,
    taskType: null,
    recommendedAgent: null,
    likelyFiles: [],
    suggestedCriteria: [],
    clarificationQuestions: [],
    clarificationAnswers: [],
    githubIssueNumber: null,
    githubIssueUrl: null,
    githubBranch: null,
    prNumber: null,
    prUrl: null,
    prTitle: null,
    mergeCommitSha: null,
    mergedAt: null,
    dispatchedAt: null,
    completedAt: null,
    errorMessage: null,
    retryCount: 0,
    prState: null,
    reviewState: null,
    checksState: null,
    checksUrl: null,
    ...overrides,
  };
}

function analysis(overrides: Partial<AnalysisResult> = {}): AnalysisResult {
  return {
    needsClarification: false,
    questions: [],
    summary: 'Add a CSV export button to the reports page',
    taskType: 'feature',
    recommendedAgent: 'claude-code',
    likelyFiles: [],
    suggestedCriteria: [],
    ...overrides,
  };
}

function content(
  overrides: { task?: Partial<TaskSource>; analysis?: Partial<AnalysisResult> } & Partial<
    Omit<IssueContentInput, 'task' | 'analysis'>
  > = {},
) {
  const { task: t, analysis: a, ...rest } = overrides;
  return issueContent({
    task: task(t),
    analysis: analysis(a),
    agent: 'claude-code',
    branch: 'taskflow/3-add-csv-export',
    appUrl: 'https://taskflow.example.com',
    marker: issueMarker(TASK_ID, 1),
    ...rest,
  });
}

describe('issueContent', () => {
  describe('title', () => {
    it('is the analysis summary', () => {
      expect(content().title).toBe('Add a CSV export button to the reports page');
    });

    it('keeps a summary of exactly 120 characters', () => {
      const summary = 's'.repeat(120);
      expect(content({ analysis: { summary } }).title).toBe(summary);
    });

    it('falls back to the task title, cut to 117 characters plus an ellipsis, for a summary over 120 characters', () => {
      const title = 'T'.repeat(200);
      const result = content({ task: { title }, analysis: { summary: 'S'.repeat(121) } });
      expect(result.title).toBe(`${'T'.repeat(117)}…`);
      expect(result.title.length).toBeLessThanOrEqual(120);
    });

    it('starts with the (short) task title for a summary over 120 characters', () => {
      const result = content({ task: { title: 'Add CSV export' }, analysis: { summary: 'z'.repeat(200) } });
      expect(result.title.startsWith('Add CSV export')).toBe(true);
      expect(result.title).not.toContain('z');
      expect(result.title.length).toBeLessThanOrEqual(120);
    });

    // A title that was not cut must not end in an ellipsis.
    it('does not add an ellipsis to a task title it did not cut', () => {
      const result = content({ task: { title: 'Add CSV export' }, analysis: { summary: 'z'.repeat(200) } });
      expect(result.title).toBe('Add CSV export');
    });
  });

  describe('body', () => {
    const full = () =>
      content({
        task: {
          description: 'Users want to download the monthly report as CSV.\nOne row per invoice.',
          acceptanceCriteria: ['The CSV opens in Excel', 'Amounts use a dot as decimal separator'],
          clarificationQuestions: ['Which page?', 'Which columns?'],
          clarificationAnswers: ['The reports page', 'Date, number and total'],
          priority: 'urgent',
        },
        analysis: {
          likelyFiles: ['apps/web/src/reports/ReportsPage.tsx', 'apps/api/src/reports/export.ts'],
          suggestedCriteria: ['The new behaviour is covered by tests'],
        },
      }).body;

    it('contains the summary and the description', () => {
      const body = full();
      expect(body).toContain('## Summary\nAdd a CSV export button to the reports page');
      expect(body).toContain('## Description\nUsers want to download the monthly report as CSV.\nOne row per invoice.');
    });

    it("lists the author's criteria, then the suggested ones, as checkboxes", () => {
      expect(full()).toContain(
        '## Acceptance criteria\n' +
          '- [ ] The CSV opens in Excel\n' +
          '- [ ] Amounts use a dot as decimal separator\n' +
          '- [ ] The new behaviour is covered by tests',
      );
    });

    it('lists the likely files', () => {
      expect(full()).toContain('## Likely files\n- apps/web/src/reports/ReportsPage.tsx\n- apps/api/src/reports/export.ts');
    });

    it('contains the clarification questions with their answers', () => {
      expect(full()).toContain(
        '## Clarifications\n**Q:** Which page?\n**A:** The reports page\n\n**Q:** Which columns?\n**A:** Date, number and total',
      );
    });

    it('shows a dash for a question without an answer', () => {
      const body = content({ task: { clarificationQuestions: ['Which page?'], clarificationAnswers: [] } }).body;
      expect(body).toContain('**Q:** Which page?\n**A:** —');
    });

    it('names the agent, the branch in backticks, the priority and the repository', () => {
      const body = full();
      expect(body).toContain('## Instructions for the agent (claude-code)');
      expect(body).toContain('`taskflow/3-add-csv-export`');
      expect(body).toContain('Priority: urgent.');
      expect(body).toContain('Repository: acme/shop.');
    });

    it('links to the task in the app', () => {
      expect(full()).toContain(`https://taskflow.example.com/tasks/${TASK_ID}`);
    });

    it.each(['https://taskflow.example.com/', 'https://taskflow.example.com'])(
      'has no double slash in the link for appUrl %j',
      (appUrl) => {
        const body = content({ appUrl }).body;
        expect(body).toContain(`https://taskflow.example.com/tasks/${TASK_ID}`);
        expect(body).not.toContain('.com//tasks');
      },
    );

    it('ends with the hidden marker of the attempt', () => {
      const body = content({ marker: issueMarker(TASK_ID, 2) }).body;
      expect(body).toContain(`<!-- taskflow-task:${TASK_ID}:attempt-2 -->`);
      expect(body.trimEnd().endsWith(`<!-- taskflow-task:${TASK_ID}:attempt-2 -->`)).toBe(true);
    });

    it('leaves out the sections with nothing to show', () => {
      const body = content().body;
      expect(body).not.toContain('## Acceptance criteria');
      expect(body).not.toContain('## Likely files');
      expect(body).not.toContain('## Clarifications');
      expect(body).not.toMatch(/\n{3,}/);
      expect(body).toContain('## Summary');
      expect(body).toContain('## Description');
      expect(body).toContain('## Instructions for the agent');
    });

    it('shows the criteria section with suggested criteria only', () => {
      const body = content({ analysis: { suggestedCriteria: ['No existing test breaks'] } }).body;
      expect(body).toContain('## Acceptance criteria\n- [ ] No existing test breaks');
    });

    it("shows the criteria section with the author's criteria only", () => {
      const body = content({ task: { acceptanceCriteria: ['It works'] } }).body;
      expect(body).toContain('## Acceptance criteria\n- [ ] It works');
    });

    it('keeps the sections in order', () => {
      const body = full();
      const order = [
        '## Summary',
        '## Description',
        '## Acceptance criteria',
        '## Likely files',
        '## Clarifications',
        '## Instructions',
        '/tasks/',
        '<!--',
      ];
      const positions = order.map((h) => body.indexOf(h));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    });
  });

  describe('labels', () => {
    it.each([
      ['bug-fix', 'codex'],
      ['feature', 'claude-code'],
      ['refactor', 'claude-code'],
      ['test-coverage', 'copilot'],
    ] as const)('are exactly ai-task, %s and agent:%s', (taskType, agent) => {
      expect(content({ analysis: { taskType }, agent }).labels).toEqual(['ai-task', taskType, `agent:${agent}`]);
    });

    it('use the agent given, not the recommended one', () => {
      expect(content({ analysis: { recommendedAgent: 'codex' }, agent: 'copilot' }).labels).toEqual([
        'ai-task',
        'feature',
        'agent:copilot',
      ]);
    });
  });
});

describe('issueMarker', () => {
  it('names the task and the attempt', () => {
    expect(issueMarker(TASK_ID, 1)).toBe(`taskflow-task:${TASK_ID}:attempt-1`);
  });

  it('differs between attempts of the same task', () => {
    expect(issueMarker(TASK_ID, 1)).not.toBe(issueMarker(TASK_ID, 2));
  });

  it('differs between tasks', () => {
    expect(issueMarker(TASK_ID, 1)).not.toBe(issueMarker('00000000-0000-4000-8000-000000000043', 1));
  });
});
