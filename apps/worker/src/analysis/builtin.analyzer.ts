import type { CodingAgent, TaskType } from '@taskflow/events';
import type { AnalysisInput, AnalysisResult, Analyzer } from './analyzer';

/**
 * Deterministic, rule-based analyzer used when no LLM key is configured. It is
 * no LLM and says so in the timeline, but it behaves like one where it matters:
 * vague or very short tasks get clarification questions, others a summary,
 * a type, likely files and acceptance criteria.
 */
const TYPE_KEYWORDS: Array<[TaskType, RegExp]> = [
  ['test-coverage', /\b(tests?|coverage|spec|unit test|e2e)\b/i],
  ['bug-fix', /\b(bug|fix|fails?|failing|error|crash(es)?|broken|exception|regression|wrong)\b/i],
  ['refactor', /\b(refactor|clean ?up|rename|extract|simplify|restructure|deduplicate)\b/i],
];

const AGENT_FOR_TYPE: Record<TaskType, CodingAgent> = {
  'bug-fix': 'codex',
  feature: 'claude-code',
  refactor: 'claude-code',
  'test-coverage': 'copilot',
};

const CRITERIA_FOR_TYPE: Record<TaskType, string[]> = {
  'bug-fix': ['A regression test reproduces the bug and now passes', 'No existing test breaks'],
  feature: ['The new behaviour is covered by tests', 'User-facing changes are documented'],
  refactor: ['Behaviour is unchanged: the existing tests pass without edits', 'No public API changes'],
  'test-coverage': ['New tests fail when the covered code is broken', 'Coverage of the touched modules goes up'],
};

// Names may hold several dots (users.controller.ts, .eslintrc.json); the last one starts the extension.
const FILE_PATTERN =
  /(?:^|[\s`'"(])((?:[\w.-]+\/)*[\w.-]*[\w-]\.(?:tsx?|jsx?|mjs|cjs|py|go|rb|java|kt|rs|cs|php|sql|css|scss|html|vue|svelte|ya?ml|json|md))\b/g;
const VAGUE =
  /^(fix( it| this| the bug)?|it('s| is) broken|doesn'?t work|not working|improve( it)?|make it better|update( it)?|asap|bug|help)[.!]*$/i;

/**
 * The intent word that comes first wins ("Refactor the error handling" is a
 * refactor), looking at the title before the rest; file paths are not prose.
 */
function detectType(title: string, rest: string): TaskType {
  for (const text of [title, rest]) {
    const prose = text.replace(FILE_PATTERN, ' ');
    const hits = TYPE_KEYWORDS.map(([type, re]) => ({ type, at: prose.search(re) })).filter((h) => h.at >= 0);
    if (hits.length) return hits.sort((a, b) => a.at - b.at)[0]!.type;
  }
  return 'feature';
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export class BuiltinAnalyzer implements Analyzer {
  readonly label = 'built-in rules (no LLM configured)';

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    const text = `${input.title}\n${input.description}\n${input.clarifications.map((c) => c.answer).join('\n')}`;
    const taskType = input.taskTypeHint !== 'auto' ? input.taskTypeHint : detectType(input.title, `${input.description}\n${text}`);
    const likelyFiles = [...new Set([...input.filesHint, ...[...text.matchAll(FILE_PATTERN)].map((m) => m[1]!)])].slice(0, 20);
    const questions = input.clarifications.length > 0 ? [] : this.questionsFor(input, likelyFiles);
    return {
      needsClarification: questions.length > 0,
      questions,
      summary: this.summarize(input, taskType),
      taskType,
      recommendedAgent: AGENT_FOR_TYPE[taskType],
      likelyFiles,
      suggestedCriteria: input.acceptanceCriteria.length > 0 ? [] : CRITERIA_FOR_TYPE[taskType],
    };
  }

  /** Vague: very short, or a stock phrase, unless the author gave both files and criteria to go on. */
  private questionsFor(input: AnalysisInput, likelyFiles: string[]): string[] {
    const description = input.description.trim();
    const vague = words(description) < 8 || VAGUE.test(description) || VAGUE.test(input.title.trim());
    if (!vague || (likelyFiles.length > 0 && input.acceptanceCriteria.length > 0)) return [];
    const questions: string[] = [];
    if (likelyFiles.length === 0) questions.push('Which part of the product is affected (page, API endpoint, module or file)?');
    if (input.acceptanceCriteria.length === 0) questions.push('What should happen instead — how will we know the task is done?');
    questions.push('Can you give steps to reproduce or an example input and the output you expect?');
    return questions.slice(0, 3);
  }

  private summarize(input: AnalysisInput, taskType: TaskType): string {
    const firstSentence = input.description.trim().split(/(?<=[.!?])\s+|\n/)[0] ?? '';
    const answers = input.clarifications.map((c) => c.answer.trim()).filter(Boolean);
    const detail = [firstSentence, ...answers].join(' — ');
    const summary = `${taskType.replace('-', ' ')}: ${input.title.trim()}${detail && detail !== input.title.trim() ? ` — ${detail}` : ''}`;
    return summary.length > 280 ? `${summary.slice(0, 277)}…` : summary;
  }
}
