/** The baseline's Redis key prefix (apart from the product's) and its single room. */
export const BARE_KEY = 'bench-bare-io';
export const BARE_ROOM = 'bench';
/** The one "task" whose rows the baseline emitter broadcasts (latest-row semantics, seq rising). */
export const BARE_TASK_ID = '00000000-0000-4000-8000-00000000b0a5';
