import OpenAI from 'openai';
import { validate } from '@taskflow/events';
import { AnalysisError, AnalysisResultSchema, type AnalysisInput, type AnalysisResult, type Analyzer } from './analyzer';

const SYSTEM_PROMPT = `You triage coding tasks for an automated pipeline. Read the task and answer with one JSON object:
{"needsClarification": boolean, "questions": string[] (at most 3, only when needsClarification),
 "summary": string (one or two sentences), "taskType": "bug-fix"|"feature"|"refactor"|"test-coverage",
 "recommendedAgent": "claude-code"|"codex"|"copilot", "likelyFiles": string[], "suggestedCriteria": string[]}.
Ask questions only when the task cannot be done as written. When earlier questions were answered, use the answers
and ask again only if something essential is still missing.`;

/**
 * An OpenAI-compatible chat-completions provider (any endpoint that speaks the
 * API: OpenAI, Azure, vLLM, Ollama…), through the official SDK. The answer must
 * be JSON matching AnalysisResultSchema; anything else is an error, retried by the job.
 */
export class OpenAiAnalyzer implements Analyzer {
  readonly label: string;
  private readonly client: OpenAI;

  constructor(private readonly opts: { apiKey: string; baseUrl?: string; model: string; timeoutMs: number }) {
    // The job queue owns retries (with backoff and a final failure); one SDK retry covers blips.
    this.client = new OpenAI({ apiKey: opts.apiKey, baseURL: opts.baseUrl, timeout: opts.timeoutMs, maxRetries: 1 });
    this.label = `LLM ${opts.model}`;
  }

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    let content: string | null | undefined;
    try {
      const completion = await this.client.chat.completions.create({
        model: this.opts.model,
        temperature: 0,
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: JSON.stringify(describe(input), null, 2) },
        ],
      });
      content = completion.choices[0]?.message?.content;
    } catch (err) {
      const status = err instanceof OpenAI.APIError ? ` (HTTP ${err.status ?? 'n/a'})` : '';
      throw new AnalysisError(`The LLM request failed${status}: ${(err as Error).message}`);
    }
    if (!content) throw new AnalysisError('The LLM returned an empty answer');
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      throw new AnalysisError('The LLM answer was not valid JSON');
    }
    const result = validate(AnalysisResultSchema, parsed);
    if (!result.ok) {
      const first = result.issues[0];
      throw new AnalysisError(`The LLM answer did not match the expected format (${first?.path}: ${first?.message})`);
    }
    return { ...result.value, questions: result.value.needsClarification ? result.value.questions : [] };
  }
}

/** Every intake field, and on re-analysis the questions with their answers. */
function describe(input: AnalysisInput) {
  return {
    title: input.title,
    description: input.description,
    repository: input.repo,
    typeHint: input.taskTypeHint,
    filesToLookAt: input.filesHint,
    acceptanceCriteria: input.acceptanceCriteria,
    priority: input.priority,
    preferredAgent: input.preferredAgent,
    clarifications: input.clarifications,
  };
}
