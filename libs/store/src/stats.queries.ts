import { sql } from 'kysely';
import type { Db } from './db';
import type { StatsGroup, TaskStats } from '@taskflow/events';
import { EFFECTIVE_AGENT_SQL, visibleTo, type Viewer } from './task-record';

export type { StatsGroup, TaskStats };

/** Result columns, camel-cased by Kysely's CamelCasePlugin. */
interface Row {
  grp: 'all' | 'repo' | 'agent';
  key: string | null;
  total: string;
  byStatus: Record<string, number>;
  merged: string;
  failed: string;
  finished: string;
  clarified: string;
  p50Pr: number | null;
  p95Pr: number | null;
  p50Merge: number | null;
  p95Merge: number | null;
}

/**
 * Pipeline statistics over the tasks the viewer can see: counts by status,
 * success / failure / clarification rates, and median / p95 time from creation
 * to the first PR and to the merge — overall, by repository and by agent.
 */
export async function taskStats(db: Db, viewer: Viewer): Promise<TaskStats> {
  const { rows } = await sql<Row>`
    with visible as (
      select t.id, t.repo, t.status, t.created_at,
             coalesce(${EFFECTIVE_AGENT_SQL}, 'unassigned') as agent
      from tasks t
      where ${visibleTo(viewer)}
    ),
    marks as (
      select e.task_id,
             min(e.created_at) filter (where e.event_type = 'pr_opened') as pr_at,
             min(e.created_at) filter (where e.event_type = 'pr_merged') as merged_at,
             bool_or(e.event_type = 'clarification_needed') as asked
      from task_events e join visible v on v.id = e.task_id
      group by e.task_id
    ),
    joined as (
      select v.*, extract(epoch from m.pr_at - v.created_at) as to_pr,
             extract(epoch from m.merged_at - v.created_at) as to_merge, coalesce(m.asked, false) as asked
      from visible v left join marks m on m.task_id = v.id
    ),
    per_status as (
      select repo, agent, status, count(*) as n from joined group by grouping sets ((status), (repo, status), (agent, status))
    )
    select case when grouping(j.repo) = 0 then 'repo' when grouping(j.agent) = 0 then 'agent' else 'all' end as grp,
           coalesce(j.repo, j.agent) as key,
           count(*) as total,
           (select coalesce(jsonb_object_agg(p.status, p.n), '{}'::jsonb) from per_status p
             where p.repo is not distinct from j.repo and p.agent is not distinct from j.agent
               and (grouping(j.repo) = 1 or p.repo is not null) and (grouping(j.agent) = 1 or p.agent is not null)) as by_status,
           count(*) filter (where j.status = 'merged') as merged,
           count(*) filter (where j.status = 'failed') as failed,
           count(*) filter (where j.status in ('merged', 'failed', 'cancelled')) as finished,
           count(*) filter (where j.asked) as clarified,
           percentile_cont(0.5) within group (order by j.to_pr) as p50_pr,
           percentile_cont(0.95) within group (order by j.to_pr) as p95_pr,
           percentile_cont(0.5) within group (order by j.to_merge) as p50_merge,
           percentile_cont(0.95) within group (order by j.to_merge) as p95_merge
    from joined j
    group by grouping sets ((), (j.repo), (j.agent))
  `.execute(db);
  const toGroup = (r: Row): StatsGroup => {
    const total = Number(r.total);
    const finished = Number(r.finished);
    const round = (x: number | null) => (x === null ? null : Math.round(Number(x) * 10) / 10);
    return {
      key: r.key ?? 'all',
      total,
      byStatus: r.byStatus,
      successRate: finished ? Number(r.merged) / finished : null,
      failureRate: finished ? Number(r.failed) / finished : null,
      clarificationRate: total ? Number(r.clarified) / total : null,
      medianSecondsToPr: round(r.p50Pr),
      p95SecondsToPr: round(r.p95Pr),
      medianSecondsToMerge: round(r.p50Merge),
      p95SecondsToMerge: round(r.p95Merge),
    };
  };
  const empty: StatsGroup = {
    key: 'all',
    total: 0,
    byStatus: {},
    successRate: null,
    failureRate: null,
    clarificationRate: null,
    medianSecondsToPr: null,
    p95SecondsToPr: null,
    medianSecondsToMerge: null,
    p95SecondsToMerge: null,
  };
  return {
    overall: rows.filter((r) => r.grp === 'all').map(toGroup)[0] ?? empty,
    byRepo: rows
      .filter((r) => r.grp === 'repo')
      .map(toGroup)
      .sort((a, b) => b.total - a.total),
    byAgent: rows
      .filter((r) => r.grp === 'agent')
      .map(toGroup)
      .sort((a, b) => b.total - a.total),
  };
}
