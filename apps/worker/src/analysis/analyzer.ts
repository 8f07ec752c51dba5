import { Type, type Static } from '@sinclair/typebox';
import { CODING_AGENTS, TASK_TYPES, type TaskSource } from '@taskflow/events';

/** The structured answer every analyzer gives; an LLM's answer is validated against it. */
export const AnalysisResultSchema = Type.Object({
  needsClarification: Type.Boolean(),
  questions: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 3 }),
  summary: Type.String({ minLength: 1, maxLength: 2000 }),
  taskType: Type.Union(TASK_TYPES.map((t) => Type.Literal(t))),
  recommendedAgent: Type.Union(CODING_AGENTS.map((a) => Type.Literal(a))),
  likelyFiles: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 50 }),
  suggestedCriteria: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 20 }),
});
export type AnalysisResult = Static<typeof AnalysisResultSchema>;

/** Everything the author told us, plus the Q&A of an earlier clarification round. */
export type AnalysisInput = Pick<
  TaskSource,
  'title' | 'description' | 'repo' | 'taskTypeHint' | 'filesHint' | 'acceptanceCriteria' | 'priority' | 'preferredAgent'
> & { clarifications: Array<{ question: string; answer: string }> };

export interface Analyzer {
  /** Shown in the task's timeline so users know which analyzer ran. */
  readonly label: string;
  analyze(input: AnalysisInput): Promise<AnalysisResult>;
}

/** A failed analysis; the message ends up in the task's errorMessage when retries run out. */
export class AnalysisError extends Error {
  override readonly name = 'AnalysisError';
}
