import type { Executor } from './task-record';

export type EventDetail = Record<string, string | number | boolean | null>;

/**
 * Who did it, for the timeline: a user's change names the user (`actorKind: user`);
 * workers and webhooks name the analyzer or GitHub login themselves (`actor`, `actorKind`).
 */
export async function withActorDetail(
  db: Executor,
  actorId: string | null,
  detail: EventDetail | undefined,
): Promise<EventDetail | undefined> {
  if (!actorId || detail?.actor !== undefined) return detail;
  const user = await db.selectFrom('users').select(['username', 'name']).where('id', '=', actorId).executeTakeFirst();
  if (!user) return detail;
  return { ...detail, actor: user.name, actorLogin: user.username, actorKind: 'user' };
}
