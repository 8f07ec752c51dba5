import { Type, type Static } from '@sinclair/typebox';
import { validate, type WebhookJobData } from '@taskflow/events';

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
    head: Type.Object({ ref: Type.String({ maxLength: 255 }) }),
  }),
});

const PR_ACTIONS = ['opened', 'reopened', 'ready_for_review', 'closed'] as const;
type PrAction = (typeof PR_ACTIONS)[number];

export type Normalized =
  | { kind: 'job'; job: WebhookJobData }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

/** `#12`, `fixes #12` → [12] (deduplicated, bounded). `owner/repo#12` points at another repository and is ignored. */
export function issueRefs(text: string): number[] {
  const refs = [...text.matchAll(/(?:^|[^\w/])#(\d{1,9})\b/g)].map((m) => Number(m[1]));
  return [...new Set(refs)].slice(0, 20);
}

type Normalizer = (deliveryId: string, payload: unknown) => Normalized;

const NORMALIZERS: Record<string, Normalizer> = {
  create(deliveryId, payload) {
    const v = validate(CreatePayload, payload);
    if (!v.ok) return { kind: 'invalid', reason: `create payload: ${v.issues[0]?.path} ${v.issues[0]?.message}` };
    if (v.value.ref_type !== 'branch') return { kind: 'ignored', reason: `ref_type ${v.value.ref_type}` };
    return { kind: 'job', job: { deliveryId, kind: 'branch_created', repo: v.value.repository.full_name, branch: v.value.ref } };
  },
  pull_request(deliveryId, payload) {
    const v = validate(PullRequestPayload, payload);
    if (!v.ok) return { kind: 'invalid', reason: `pull_request payload: ${v.issues[0]?.path} ${v.issues[0]?.message}` };
    const p: Static<typeof PullRequestPayload> = v.value;
    if (!PR_ACTIONS.includes(p.action as PrAction)) return { kind: 'ignored', reason: `action ${p.action}` };
    const pr = p.pull_request;
    const merged = p.action === 'closed' && pr.merged === true;
    return {
      kind: 'job',
      job: {
        deliveryId,
        kind: 'pull_request',
        action: p.action as PrAction,
        repo: p.repository.full_name,
        branch: pr.head.ref,
        issueRefs: issueRefs(`${pr.title}\n${pr.body ?? ''}`),
        prNumber: pr.number,
        prUrl: pr.html_url,
        prTitle: pr.title,
        merged,
        mergeCommitSha: merged ? (pr.merge_commit_sha ?? null) : null,
        mergedAt: merged ? (pr.merged_at ?? new Date().toISOString()) : null,
      },
    };
  },
};

/** Turns a verified delivery into a pipeline job, or says why it is ignored or malformed. */
export function normalizeDelivery(event: string, deliveryId: string, payload: unknown): Normalized {
  const normalize = NORMALIZERS[event];
  return normalize ? normalize(deliveryId, payload) : { kind: 'ignored', reason: `event ${event}` };
}
