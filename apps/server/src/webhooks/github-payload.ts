import { Type, type Static } from '@sinclair/typebox';
import { isGithubWebUrl, sameRepo, validate, type WebhookJobData, type WebhookScope } from '@taskflow/events';
import { ACTIVITY_NORMALIZERS } from './github-activity';

/** Just the parts of GitHub's payloads we read; everything else GitHub sends is allowed and ignored. */
const Repository = Type.Object({ full_name: Type.String({ maxLength: 201 }) });

const CreatePayload = Type.Object({
  ref: Type.String({ maxLength: 255 }),
  ref_type: Type.String(),
  repository: Repository,
});

const PullRequestPayload = Type.Object({
  action: Type.String(),
  repository: Repository,
  pull_request: Type.Object({
    number: Type.Integer({ minimum: 1 }),
    html_url: Type.String({ maxLength: 2048 }),
    title: Type.String({ maxLength: 1024 }),
    body: Type.Union([Type.String(), Type.Null()]),
    merged: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    merge_commit_sha: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    merged_at: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    draft: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    // GitHub sends `repo: null` once the head (fork) repository was deleted.
    head: Type.Object({ ref: Type.String({ maxLength: 255 }), repo: Type.Optional(Type.Union([Repository, Type.Null()])) }),
  }),
  sender: Type.Optional(Type.Object({ login: Type.String({ maxLength: 100 }) })),
});

const PR_ACTIONS = ['opened', 'reopened', 'ready_for_review', 'closed', 'converted_to_draft', 'synchronize'] as const;
type PrAction = (typeof PR_ACTIONS)[number];

/** Why a delivery was acknowledged but not applied; a bounded set, so it can label a metric. */
export type IgnoreCode = 'event' | 'action' | 'ref_type' | 'repo_not_configured' | 'fork' | 'foreign_url';

export type Normalized =
  { kind: 'job'; job: WebhookJobData } | { kind: 'ignored'; code: IgnoreCode; reason: string } | { kind: 'invalid'; reason: string };

const ignored = (code: IgnoreCode, reason: string): Normalized => ({ kind: 'ignored', code, reason });

/** `#12`, `fixes #12` → [12] (deduplicated, bounded). `owner/repo#12` points at another repository and is ignored. */
function issueRefs(text: string): number[] {
  const refs = [...text.matchAll(/(?:^|[^\w/])#(\d{1,9})\b/g)].map((m) => Number(m[1]));
  return [...new Set(refs)].slice(0, 20);
}

type Normalizer = (deliveryId: string, payload: unknown, scope: WebhookScope) => Normalized;

/** The configured spelling of a repository GitHub names, or undefined when it is not one of ours. */
const ourRepo = (scope: WebhookScope, fullName: string) => scope.repos.find((r) => sameRepo(r, fullName));

const NORMALIZERS: Record<string, Normalizer> = {
  create(deliveryId, payload, scope) {
    const v = validate(CreatePayload, payload);
    if (!v.ok) return { kind: 'invalid', reason: `create payload: ${v.issues[0]?.path} ${v.issues[0]?.message}` };
    if (v.value.ref_type !== 'branch') return ignored('ref_type', `ref_type ${v.value.ref_type}`);
    const repo = ourRepo(scope, v.value.repository.full_name);
    if (!repo) return ignored('repo_not_configured', `repository ${v.value.repository.full_name} is not registered to any organisation`);
    return { kind: 'job', job: { deliveryId, kind: 'branch_created', repo, branch: v.value.ref } };
  },
  pull_request(deliveryId, payload, scope) {
    const v = validate(PullRequestPayload, payload);
    if (!v.ok) return { kind: 'invalid', reason: `pull_request payload: ${v.issues[0]?.path} ${v.issues[0]?.message}` };
    const p: Static<typeof PullRequestPayload> = v.value;
    if (!PR_ACTIONS.includes(p.action as PrAction)) return ignored('action', `action ${p.action}`);
    const repo = ourRepo(scope, p.repository.full_name);
    if (!repo) return ignored('repo_not_configured', `repository ${p.repository.full_name} is not registered to any organisation`);
    const pr = p.pull_request;
    // Anyone can open a PR from a fork, with any branch name (task branches are public in the issue).
    const headRepo = pr.head.repo?.full_name;
    if (!headRepo || !sameRepo(headRepo, repo))
      return ignored('fork', `pull request from ${headRepo ?? 'a deleted repository'}, not ${repo}`);
    if (!isGithubWebUrl(pr.html_url, scope.webHost)) return ignored('foreign_url', `html_url is not an https URL on ${scope.webHost}`);
    const merged = p.action === 'closed' && pr.merged === true;
    return {
      kind: 'job',
      job: {
        deliveryId,
        kind: 'pull_request',
        action: p.action as PrAction,
        repo,
        headRepo: repo,
        branch: pr.head.ref,
        issueRefs: issueRefs(`${pr.title}\n${pr.body ?? ''}`),
        prNumber: pr.number,
        prUrl: pr.html_url,
        prTitle: pr.title,
        merged,
        mergeCommitSha: merged ? (pr.merge_commit_sha ?? null) : null,
        mergedAt: merged ? (pr.merged_at ?? new Date().toISOString()) : null,
        draft: pr.draft === true,
        ...(p.sender ? { sender: p.sender.login } : {}),
      },
    };
  },
};

/** Turns a verified delivery into a pipeline job, or says why it is ignored or malformed. */
export function normalizeDelivery(event: string, deliveryId: string, payload: unknown, scope: WebhookScope): Normalized {
  const normalize = Object.hasOwn(NORMALIZERS, event)
    ? NORMALIZERS[event]
    : Object.hasOwn(ACTIVITY_NORMALIZERS, event)
      ? ACTIVITY_NORMALIZERS[event]
      : undefined;
  return normalize ? normalize(deliveryId, payload, scope) : ignored('event', `event ${event}`);
}
