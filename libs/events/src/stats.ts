/** `GET /api/stats`: pipeline statistics over the tasks a user can see. */
export interface StatsGroup {
  key: string;
  total: number;
  byStatus: Record<string, number>;
  /** merged / finished (merged + failed + cancelled); null before anything finished. */
  successRate: number | null;
  failureRate: number | null;
  /** Share of tasks whose analysis asked clarification questions. */
  clarificationRate: number | null;
  medianSecondsToPr: number | null;
  p95SecondsToPr: number | null;
  medianSecondsToMerge: number | null;
  p95SecondsToMerge: number | null;
}

export interface TaskStats {
  overall: StatsGroup;
  byRepo: StatsGroup[];
  byAgent: StatsGroup[];
}
