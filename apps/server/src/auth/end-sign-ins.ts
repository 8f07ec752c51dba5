import type { FastifyInstance } from 'fastify';
import { rooms, type ServerEventPayload } from '@taskflow/events';
import type { TokenStandingCache } from './token-standing.cache';

type EndReason = ServerEventPayload<'session:ended'>['reason'];

/**
 * Tells every socket in `room`, on every node (the Redis adapter carries it), why its sign-in ended, then closes
 * it; a reconnect with the ended cookie or token is refused by the handshake check.
 */
export function endSockets(app: FastifyInstance, room: string, reason: EndReason): void {
  if (!app.hasDecorator('io')) return;
  app.io.to(room).emit('session:ended', { reason });
  app.io.in(room).disconnectSockets(true);
}

/**
 * After a user's token version moved (sign out everywhere, disabled): every node drops its cached standing of the
 * user first (so a reconnect meets the new version at once, not after TOKEN_VERSION_CACHE_MS), then all their
 * sockets — cookie and Bearer alike, they share the user's room — are told and closed.
 */
export function endEverySignIn(app: FastifyInstance, standing: TokenStandingCache, userId: string, reason: EndReason): void {
  forgetEverywhere(app, standing, userId);
  endSockets(app, rooms.user(userId), reason);
}

/** Every node drops its cached token standing of the user (their version moved, or they were enabled again). */
export function forgetEverywhere(app: FastifyInstance, standing: TokenStandingCache, userId: string): void {
  standing.forget(userId);
  if (app.hasDecorator('io')) app.io.serverSideEmit('auth:forget', userId);
}

/** This node's side of `endEverySignIn`: another node revoked a user's tokens. */
export function forgetOnRevocation(app: FastifyInstance, standing: TokenStandingCache): void {
  if (app.hasDecorator('io')) app.io.on('auth:forget', (userId) => standing.forget(userId));
}
