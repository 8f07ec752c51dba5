import { Type, type Static } from '@sinclair/typebox';

/**
 * Rollout controls of live updates (specification 14.2; docs/operations.md "Rolling out live updates"): who is
 * live and who polls, changed from the admin view (`/api/admin/rollout…`). The decision, first rule wins:
 * kill switch off > user opt-out > user opt-in > org override > percentage (a stable hash of the user id).
 */
const strict = { additionalProperties: false } as const;

/** `live:off`: this user is no longer rolled in; the socket is disconnected next. Read the REST API instead (poll). */
export const LiveOffPayload = Type.Object({ reason: Type.Literal('rollout') }, strict);
export type LiveOffPayload = Static<typeof LiveOffPayload>;

/** `PUT /api/admin/rollout` (operators): the kill switch and/or the percentage; at least one. */
export const RolloutGlobalBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    percent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  },
  { ...strict, minProperties: 1 },
);
export type RolloutGlobalBody = Static<typeof RolloutGlobalBody>;

/** `PUT /api/admin/rollout/orgs/:orgId`: the org forced live (`on`), polling (`off`), or following the percentage. */
export const RolloutOrgBody = Type.Object({ live: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('inherit')]) }, strict);
export type RolloutOrgBody = Static<typeof RolloutOrgBody>;
export const OrgIdParams = Type.Object({ orgId: Type.String({ format: 'uuid' }) }, strict);

/** `PUT /api/admin/rollout/users/:userId`: the user opted in, out, or following their org. */
export const RolloutUserBody = Type.Object(
  { live: Type.Union([Type.Literal('in'), Type.Literal('out'), Type.Literal('inherit')]) },
  strict,
);
export type RolloutUserBody = Static<typeof RolloutUserBody>;

const LiveReason = Type.Union(
  ['kill-switch', 'user-opt-out', 'user-opt-in', 'org-off', 'org-on', 'percentage'].map((r) => Type.Literal(r)),
);
const RolloutChange = Type.Object(
  {
    setting: Type.Union([Type.Literal('enabled'), Type.Literal('percent'), Type.Literal('org'), Type.Literal('user')]),
    orgId: Type.Union([Type.String(), Type.Null()]),
    subjectId: Type.Union([Type.String(), Type.Null()]),
    oldValue: Type.String(),
    newValue: Type.String(),
  },
  strict,
);
const RolloutAuditEntry = Type.Object(
  {
    id: Type.String(),
    at: Type.String({ format: 'date-time' }),
    actorUsername: Type.String(),
    setting: RolloutChange.properties.setting,
    orgId: RolloutChange.properties.orgId,
    subjectId: RolloutChange.properties.subjectId,
    oldValue: Type.String(),
    newValue: Type.String(),
  },
  strict,
);

/** `GET /api/admin/rollout`: the settings, the orgs and users in the caller's scope, who is live now, the latest changes. */
export const RolloutStateResponse = Type.Object(
  {
    /** `cluster` (an operator): every org and user; `org` (an org's admin): their own org only. */
    scope: Type.Union([Type.Literal('cluster'), Type.Literal('org')]),
    enabled: Type.Boolean(),
    percent: Type.Integer(),
    orgs: Type.Array(Type.Object({ id: Type.String(), slug: Type.String(), override: RolloutOrgBody.properties.live }, strict)),
    users: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          username: Type.String(),
          orgId: Type.String(),
          override: RolloutUserBody.properties.live,
          live: Type.Boolean(),
          reason: LiveReason,
        },
        strict,
      ),
    ),
    /** Users with a socket open now (any node), and users whose page polled in the last `pollingWindowSeconds`. */
    counts: Type.Object({ live: Type.Integer(), polling: Type.Integer(), pollingWindowSeconds: Type.Integer() }, strict),
    audit: Type.Array(RolloutAuditEntry),
  },
  strict,
);
export type RolloutStateResponse = Static<typeof RolloutStateResponse>;

/** Answer of the `PUT`s: what changed (nothing when the value was already so), audited. */
export const RolloutChangedResponse = Type.Object({ changes: Type.Array(RolloutChange) }, strict);
export type RolloutChangedResponse = Static<typeof RolloutChangedResponse>;

/** How often a polling page asks `GET /api/config` whether it may go live (and how recent a poll counts as "polling"). */
export const LIVE_RECHECK_SECONDS = 5;
