import { sql } from 'kysely';
import { taskBranch, type TaskEventType, type TaskStatus, type TaskUpdateEventType } from '@taskflow/events';
import type { EventDetail } from './actors';
import type { Db } from './db';
import { listOrgRepos } from './org-repos';
import { saveAnalysis } from './pipeline.queries';
import { DEMO_ORGS } from './seed';
import { createTask, transition, type NewTask, type TaskPatch } from './tasks.commands';
import { appendEvent } from './task-updates.commands';

/** What the built-in analyzer and the sandbox tracker call themselves on a timeline (apps/worker). */
const ANALYZER = 'built-in rules (no LLM configured)';
const TRACKER = 'sandbox (no GITHUB_TOKEN)';
const BY_ANALYZER: EventDetail = { actor: ANALYZER, actorKind: 'analyzer' };
const byGithub = (login: string): EventDetail => ({ actor: login, actorKind: 'github' });

interface Analysis {
  summary: string;
  taskType: 'bug-fix' | 'feature' | 'refactor' | 'test-coverage';
  recommendedAgent: 'claude-code' | 'codex' | 'copilot';
  likelyFiles: string[];
  suggestedCriteria: string[];
  questions?: string[];
}

/** One step of a demo task's life, applied through the store's own commands (so seq and events are real). */
type Step =
  | { to: TaskStatus; event: TaskEventType; patch?: (ctx: StepContext) => TaskPatch; detail?: EventDetail; by?: string }
  | {
      append: TaskUpdateEventType;
      patch?: (ctx: StepContext) => TaskPatch;
      facts?: (ctx: StepContext) => Record<string, unknown>;
      detail?: EventDetail;
    }
  | { saveAnalysis: Analysis };

interface StepContext {
  taskId: string;
  repo: string;
}

interface DemoTask {
  by: string;
  task: Omit<NewTask, 'orgId' | 'creatorId' | 'repo'>;
  steps: Step[];
}

const task = (title: string, description: string, extra: Partial<DemoTask['task']> = {}): DemoTask['task'] => ({
  title,
  description,
  isPrivate: false,
  taskTypeHint: 'auto',
  filesHint: [],
  acceptanceCriteria: [],
  priority: 'normal',
  preferredAgent: 'auto',
  ...extra,
});

const analysisPatch = (a: Analysis): TaskPatch => ({
  summary: a.summary,
  taskType: a.taskType,
  recommendedAgent: a.recommendedAgent,
  likelyFiles: a.likelyFiles,
  suggestedCriteria: a.suggestedCriteria,
});

/** received → analyzing, and the analyzer's answer on the timeline. */
const analyse = (a: Analysis): Step[] => [
  { to: 'analyzing', event: 'analyzing' },
  {
    append: 'llm_response',
    patch: () => analysisPatch(a),
    facts: () => ({ analyzer: ANALYZER, questions: a.questions ?? [] }),
    detail: BY_ANALYZER,
  },
];

const askQuestions = (a: Analysis): Step => ({
  to: 'needs_clarification',
  event: 'clarification_needed',
  patch: () => ({
    clarificationQuestions: a.questions ?? [],
    clarificationAnswers: [],
    analysis: JSON.stringify({ analyzer: ANALYZER, result: { needsClarification: true, ...a } }),
  }),
  detail: { analyzer: ANALYZER, ...BY_ANALYZER },
});

// Issue and PR numbers far above the sandbox's own (it counts from 1), so a real dispatch never reuses one.
const dispatch = (a: Analysis, issue: number): Step[] => [
  { saveAnalysis: a },
  {
    to: 'dispatched',
    event: 'dispatched',
    patch: ({ taskId, repo }) => ({
      ...analysisPatch(a),
      githubIssueNumber: issue,
      githubIssueUrl: `https://sandbox.taskflow.invalid/${repo}/issues/${issue}`,
      githubBranch: taskBranch(taskId),
      dispatchedAt: new Date(),
    }),
    detail: { analyzer: ANALYZER, tracker: TRACKER, agent: a.recommendedAgent },
  },
];

const startCoding: Step = { to: 'coding', event: 'coding', detail: byGithub('taskflow-agent') };

const openPr = (pr: number, title: string): Step => ({
  to: 'pr_open',
  event: 'pr_opened',
  patch: ({ repo }) => ({
    prNumber: pr,
    prUrl: `https://github.com/${repo}/pull/${pr}`,
    prTitle: title,
    prState: 'ready',
    reviewState: null,
    checksState: null,
    checksUrl: null,
  }),
  detail: byGithub('taskflow-agent'),
});

const checks = (conclusion: 'passing' | 'failing', run: number): Step => ({
  append: 'checks_completed',
  patch: ({ repo }) => ({ checksState: conclusion, checksUrl: `https://github.com/${repo}/actions/runs/${run}` }),
  facts: () => ({ checkName: 'ci / test' }),
  detail: byGithub('ci / test'),
});

const review = (outcome: 'approved' | 'changes_requested', reviewer: string, pr: number): Step => ({
  append: 'review_submitted',
  patch: () => ({ reviewState: outcome }),
  facts: ({ repo }) => ({ outcome, reviewer, url: `https://github.com/${repo}/pull/${pr}#pullrequestreview-${pr}01` }),
  detail: byGithub(reviewer),
});

const ACME: DemoTask[] = [
  {
    by: 'alice',
    task: task(
      'Add CSV export to the invoices page',
      'Finance wants to download the filtered invoice list as CSV (date, customer, amount, VAT, status) from the invoices page.',
    ),
    // Left where a new task starts: the worker's reconciler picks it up a minute after the stack starts.
    steps: [],
  },
  (() => {
    const a: Analysis = {
      summary: 'Speed up the checkout; the request does not say which step is slow or what target to reach.',
      taskType: 'refactor',
      recommendedAgent: 'claude-code',
      likelyFiles: ['src/checkout/checkout.service.ts'],
      suggestedCriteria: ['Checkout p95 below the agreed target'],
      questions: [
        'Which step of the checkout is slow: cart, address, payment or confirmation?',
        'What response time should it reach (p95)?',
        'Is it slow for every payment method or only for some?',
      ],
    };
    return {
      by: 'bob',
      task: task('Make the checkout faster', 'Customers complain that the checkout is slow.'),
      steps: [...analyse(a), askQuestions(a)],
    };
  })(),
  (() => {
    const a: Analysis = {
      summary: 'Partial refunds recompute VAT on the refunded amount and round per line, so totals can be off by a cent.',
      taskType: 'bug-fix',
      recommendedAgent: 'codex',
      likelyFiles: ['src/refunds/refund-calculator.ts', 'src/refunds/refund-calculator.spec.ts'],
      suggestedCriteria: ['VAT of a partial refund is rounded once, on the total', 'A regression test covers a 3-line partial refund'],
    };
    return {
      by: 'alice',
      task: task(
        'Fix rounding of VAT on partial refunds',
        'Refunding two of three lines of invoice INV-2041 gave a VAT total one cent higher than the invoice. VAT must be rounded once per document.',
        { priority: 'urgent', taskTypeHint: 'bug-fix' },
      ),
      steps: [...analyse(a), ...dispatch(a, 9001)],
    };
  })(),
  (() => {
    const a: Analysis = {
      summary: 'Payout webhooks that fail are dropped; retry them with exponential backoff and park them after the last attempt.',
      taskType: 'feature',
      recommendedAgent: 'claude-code',
      likelyFiles: ['src/payouts/webhook-sender.ts', 'src/payouts/webhook-sender.spec.ts'],
      suggestedCriteria: ['Failed deliveries are retried 5 times with backoff', 'Parked deliveries are listed in the admin page'],
    };
    return {
      by: 'bob',
      task: task(
        'Retry failed payout webhooks with backoff',
        'When a merchant endpoint is down, payout webhooks are lost. Retry them with exponential backoff, up to 5 attempts.',
      ),
      steps: [...analyse(a), ...dispatch(a, 9002), startCoding],
    };
  })(),
  (() => {
    const a: Analysis = {
      summary: 'Show the card brand logo and last four digits on each saved payment method.',
      taskType: 'feature',
      recommendedAgent: 'copilot',
      likelyFiles: ['web/src/payment-methods/method-list.tsx', 'web/src/payment-methods/brand-icon.tsx'],
      suggestedCriteria: ['Visa, Mastercard and Amex show their logo', 'Unknown brands show a generic card icon'],
    };
    return {
      by: 'alice',
      task: task(
        'Show the card brand on the payment methods list',
        'Users cannot tell their saved cards apart. Show the brand (Visa, Mastercard, Amex) and the last four digits.',
      ),
      steps: [
        ...analyse(a),
        ...dispatch(a, 9003),
        startCoding,
        openPr(9103, 'Show card brand and last four digits'),
        checks('passing', 77031),
      ],
    };
  })(),
  (() => {
    const first: Analysis = {
      summary: 'Validate supplier bank details on the supplier form.',
      taskType: 'feature',
      recommendedAgent: 'codex',
      likelyFiles: ['src/suppliers/supplier-form.tsx'],
      suggestedCriteria: ['Invalid bank details are rejected with a message'],
      questions: [
        'Which formats must be accepted: IBAN only, or also local account numbers?',
        'Should the check run in the browser, the API, or both?',
      ],
    };
    const a: Analysis = {
      summary: 'Validate IBANs (checksum and country length) in the supplier form and in the API.',
      taskType: 'feature',
      recommendedAgent: 'codex',
      likelyFiles: ['src/suppliers/supplier-form.tsx', 'src/suppliers/suppliers.routes.ts', 'src/shared/iban.ts'],
      suggestedCriteria: ['An IBAN with a wrong checksum is rejected in the form and by the API', 'Spaces and lower case are accepted'],
    };
    return {
      by: 'bob',
      task: task('Validate IBANs on the supplier form', 'Suppliers were created with mistyped bank details; payments to them bounced.'),
      steps: [
        ...analyse(first),
        askQuestions(first),
        { to: 'analyzing', event: 'clarified', patch: () => ({ clarificationAnswers: ['IBAN only', 'Both'] }), by: 'bob' },
        {
          append: 'llm_response',
          patch: () => analysisPatch(a),
          facts: () => ({ analyzer: ANALYZER, questions: [] }),
          detail: BY_ANALYZER,
        },
        ...dispatch(a, 9004),
        startCoding,
        openPr(9104, 'Validate IBANs in supplier form and API'),
        checks('passing', 77040),
        review('approved', 'dana-reviewer', 9104),
        {
          to: 'merged',
          event: 'pr_merged',
          patch: () => ({
            mergeCommitSha: '4f1c2a9e0b7d3c5a8e6f1b2d3c4a5e6f7a8b9c0d',
            mergedAt: new Date().toISOString(),
            prState: 'merged',
          }),
          detail: byGithub('dana-reviewer'),
        },
      ],
    };
  })(),
  (() => {
    const a: Analysis = {
      summary: 'Rewrite the currency converter as a Rust library called from Node.',
      taskType: 'refactor',
      recommendedAgent: 'claude-code',
      likelyFiles: ['src/fx/converter.ts'],
      suggestedCriteria: ['Same results as the current converter on the test fixtures'],
    };
    return {
      by: 'alice',
      task: task('Rewrite the currency converter in Rust', 'The converter is slow under load; try a Rust implementation.'),
      steps: [
        ...analyse(a),
        ...dispatch(a, 9005),
        openPr(9105, 'Rust currency converter (experiment)'),
        checks('failing', 77052),
        {
          to: 'failed',
          event: 'pr_closed',
          patch: () => ({ errorMessage: 'Pull request #9105 was closed without merging', prState: 'closed' }),
          detail: byGithub('alice-gh'),
        },
      ],
    };
  })(),
  (() => {
    const a: Analysis = {
      summary: 'Add a dark theme to the admin panel.',
      taskType: 'feature',
      recommendedAgent: 'copilot',
      likelyFiles: ['admin/src/theme.ts'],
      suggestedCriteria: ['The admin panel follows the system colour scheme'],
      questions: ['Should it follow the system setting, or be a switch in the user menu?'],
    };
    return {
      by: 'bob',
      task: task('Dark mode for the admin panel', 'Support staff work night shifts and asked for a dark theme.'),
      steps: [...analyse(a), askQuestions(a), { to: 'cancelled', event: 'cancelled', by: 'bob' }],
    };
  })(),
  {
    by: 'alice',
    task: task('Migrate invoice numbering to the new ledger', 'Invoice numbers must come from the ledger service from next quarter on.', {
      isPrivate: true,
    }),
    steps: [
      { to: 'analyzing', event: 'analyzing' },
      {
        to: 'failed',
        event: 'failed',
        patch: () => ({ errorMessage: 'Analysis failed after 12 attempt(s): the LLM API answered 429 Too Many Requests' }),
      },
    ],
  },
];

const GLOBEX: DemoTask[] = [
  (() => {
    const a: Analysis = {
      summary: 'Let employees log in with the company identity provider (OpenID Connect).',
      taskType: 'feature',
      recommendedAgent: 'claude-code',
      likelyFiles: ['src/auth/oidc.ts', 'src/auth/login.routes.ts'],
      suggestedCriteria: ['Login through the identity provider creates the session', 'Password login still works'],
    };
    return {
      by: 'carol',
      task: task('Single sign-on with OpenID Connect', 'IT wants employees to log in with the company identity provider.'),
      steps: [
        ...analyse(a),
        ...dispatch(a, 9011),
        startCoding,
        openPr(9111, 'OpenID Connect login'),
        review('changes_requested', 'erin-sec', 9111),
      ],
    };
  })(),
];

const DEMO_TASKS: Record<(typeof DEMO_ORGS)[number]['slug'], DemoTask[]> = { acme: ACME, globex: GLOBEX };

/**
 * Gives a first login something to look at: a few tasks in each demo org, in the states a
 * task goes through (received, needs_clarification, dispatched, coding, pr_open, merged,
 * failed, cancelled). Each one is created and moved through the store's own commands, so
 * its events, seq and notifications are those of a real task. Only an org without any task
 * gets them: a restart, or an org people already use, gets nothing. The demo users and the org's
 * repositories (seedDemo) must exist.
 * Returns how many tasks each org got.
 */
export async function seedDemoTasks(db: Db): Promise<Record<string, number>> {
  // One connection holds a session lock, so two stacks on one database cannot both seed an org.
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtext('taskflow:seed-demo-tasks'))`.execute(conn);
    try {
      const seeded: Record<string, number> = {};
      for (const [slug, tasks] of Object.entries(DEMO_TASKS)) {
        const org = await conn.selectFrom('orgs').select('id').where('slug', '=', slug).executeTakeFirst();
        if (!org) continue;
        const existing = await conn.selectFrom('tasks').select('id').where('orgId', '=', org.id).limit(1).executeTakeFirst();
        if (existing) continue;
        // Each org's tasks go to its own default repository; an org that owns none gets none.
        const repo = (await listOrgRepos(conn, org.id))[0]?.fullName;
        if (!repo) continue;
        const users = new Map(
          (await conn.selectFrom('users').select(['id', 'username']).where('orgId', '=', org.id).execute()).map((u) => [u.username, u.id]),
        );
        let count = 0;
        for (const demo of tasks) {
          const creatorId = users.get(demo.by);
          if (!creatorId) continue;
          await playTask(conn, { ...demo.task, orgId: org.id, creatorId, repo }, demo.steps, users);
          count += 1;
        }
        if (count) seeded[slug] = count;
      }
      return seeded;
    } finally {
      await sql`select pg_advisory_unlock(hashtext('taskflow:seed-demo-tasks'))`.execute(conn);
    }
  });
}

async function playTask(db: Db, input: NewTask, steps: Step[], users: Map<string, string>): Promise<void> {
  let { task } = await createTask(db, input);
  const ctx: StepContext = { taskId: task.id, repo: input.repo };
  for (const step of steps) {
    if ('saveAnalysis' in step) {
      await saveAnalysis(db, task.id, { analyzer: ANALYZER, result: { needsClarification: false, questions: [], ...step.saveAnalysis } });
    } else if ('append' in step) {
      ({ task } = await appendEvent(db, {
        taskId: task.id,
        event: step.append,
        statuses: [task.status],
        patch: step.patch?.(ctx),
        facts: step.facts?.(ctx),
        detail: step.detail,
      }));
    } else {
      ({ task } = await transition(db, {
        taskId: task.id,
        from: task.status,
        to: step.to,
        event: step.event,
        patch: step.patch?.(ctx),
        detail: step.detail,
        actorId: step.by ? (users.get(step.by) ?? null) : null,
      }));
    }
  }
}
