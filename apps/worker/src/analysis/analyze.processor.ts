import { StaleTransitionError, appendEvent, getTask, saveAnalysis, transition, type TaskRecord } from '@taskflow/store';
import type { AnalysisInput } from './analyzer';
import { skipWhenStale, type Processor } from '../pipeline/context';

/** After this many question rounds the analyzer must decide with what it has. */
const MAX_CLARIFICATION_ROUNDS = 2;

function analysisInput(task: TaskRecord): AnalysisInput {
  return {
    title: task.title,
    description: task.description,
    repo: task.repo,
    taskTypeHint: task.taskTypeHint,
    filesHint: task.filesHint,
    acceptanceCriteria: task.acceptanceCriteria,
    priority: task.priority,
    preferredAgent: task.preferredAgent,
    clarifications: task.clarificationQuestions.map((question, i) => ({ question, answer: task.clarificationAnswers[i] ?? '' })),
  };
}

/**
 * received → analyzing → needs_clarification | (analysis saved, dispatch enqueued).
 * Safe to run twice: every step is a compare-and-set, and a job that finds the
 * task elsewhere (cancelled, already dispatched) does nothing.
 */
export const analyzeProcessor: Processor<'analyze'> = async (job, ctx, log) => {
  const { taskId } = job.data;
  const found = await getTask(ctx.db, 'system', taskId);
  if (!found) return 'task not found';
  let task = found.task;
  if (task.status === 'received') {
    try {
      task = (await transition(ctx.db, { taskId, from: 'received', to: 'analyzing', event: 'analyzing' })).task;
    } catch (err) {
      if (!(err instanceof StaleTransitionError)) throw err;
      return `skipped: task became ${err.actual}`;
    }
  }
  if (task.status !== 'analyzing') return `skipped: task is ${task.status}`;

  const result = await ctx.analyzer.analyze(analysisInput(task));
  // The answer goes on the timeline (and the page) as soon as it is in, whatever follows.
  const answered = await skipWhenStale(() =>
    appendEvent(ctx.db, {
      taskId,
      event: 'llm_response',
      statuses: ['analyzing'],
      patch: {
        summary: result.summary,
        taskType: result.taskType,
        recommendedAgent: result.recommendedAgent,
        likelyFiles: result.likelyFiles,
        suggestedCriteria: result.suggestedCriteria,
      },
      facts: { analyzer: ctx.analyzer.label, questions: result.needsClarification ? result.questions : [] },
      detail: { actor: ctx.analyzer.label, actorKind: 'analyzer' },
    }),
  );
  if (answered) return answered;
  const rounds = found.events.filter((e) => e.eventType === 'clarification_needed').length;
  if (result.needsClarification && result.questions.length > 0 && rounds < MAX_CLARIFICATION_ROUNDS) {
    const skipped = await skipWhenStale(() =>
      transition(ctx.db, {
        taskId,
        from: 'analyzing',
        to: 'needs_clarification',
        event: 'clarification_needed',
        patch: {
          clarificationQuestions: result.questions,
          clarificationAnswers: [],
          analysis: JSON.stringify({ analyzer: ctx.analyzer.label, result }),
        },
        detail: { analyzer: ctx.analyzer.label, actor: ctx.analyzer.label, actorKind: 'analyzer' },
      }),
    );
    if (skipped) return skipped;
    log.info({ questions: result.questions.length }, 'asked for clarification');
    return 'needs clarification';
  }
  if (!(await saveAnalysis(ctx.db, taskId, { analyzer: ctx.analyzer.label, result }))) return 'skipped: task left analysis';
  // Keyed by attempt, not seq: the llm_response above moved the seq, and the reconciler must find this job.
  await ctx.queue.enqueueDispatch(taskId, task.retryCount, { replaceCompleted: true });
  return 'analysed; dispatch enqueued';
};
