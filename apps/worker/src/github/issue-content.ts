import type { CodingAgent, TaskSource } from '@taskflow/events';
import type { AnalysisResult } from '../analysis/analyzer';

export interface IssueContentInput {
  task: TaskSource;
  analysis: AnalysisResult;
  agent: CodingAgent;
  branch: string;
  appUrl: string;
  marker: string;
}

const bullets = (items: readonly string[]) => items.map((i) => `- ${i}`).join('\n');
const checkboxes = (items: readonly string[]) => items.map((i) => `- [ ] ${i}`).join('\n');

/** The GitHub issue a coding agent works from: what, where, how we will judge it, and which branch to use. */
export function issueContent(input: IssueContentInput): { title: string; body: string; labels: string[] } {
  const { task, analysis, agent, branch } = input;
  const criteria = [...task.acceptanceCriteria, ...analysis.suggestedCriteria];
  const qa = task.clarificationQuestions.map((q, i) => `**Q:** ${q}\n**A:** ${task.clarificationAnswers[i] ?? '—'}`);
  const sections = [
    `## Summary\n${analysis.summary}`,
    `## Description\n${task.description}`,
    criteria.length ? `## Acceptance criteria\n${checkboxes(criteria)}` : '',
    analysis.likelyFiles.length ? `## Likely files\n${bullets(analysis.likelyFiles)}` : '',
    qa.length ? `## Clarifications\n${qa.join('\n\n')}` : '',
    `## Instructions for the agent (${agent})\n` +
      `- Work on the branch \`${branch}\` (create it from the default branch) and open the pull request from it.\n` +
      `- Reference this issue in the pull request description.\n` +
      `- Priority: ${task.priority}. Repository: ${task.repo}.`,
    `---\nTracked in Taskflow Live: ${input.appUrl.replace(/\/$/, '')}/tasks/${task.id}`,
    markerComment(input.marker),
  ];
  // A long summary makes a poor title: fall back to the author's title, cut only if it must be.
  const title = analysis.summary.length <= 120 ? analysis.summary : task.title.length <= 120 ? task.title : `${task.title.slice(0, 117)}…`;
  return {
    title: title || task.title,
    body: sections.filter(Boolean).join('\n\n'),
    labels: ['ai-task', analysis.taskType, `agent:${agent}`],
  };
}

const markerComment = (marker: string) => `<!-- ${marker} -->`;

/**
 * True when `body` ends with the marker, where only we write: the description
 * above it is the user's text, and may quote another task's marker.
 */
export function endsWithMarker(body: string | null | undefined, marker: string): boolean {
  return (body ?? '').trimEnd().endsWith(markerComment(marker));
}

/** Identifies one dispatch attempt of one task (a retry is a new attempt, with a new issue). */
export function issueMarker(taskId: string, attempt: number): string {
  return `taskflow-task:${taskId}:attempt-${attempt}`;
}
