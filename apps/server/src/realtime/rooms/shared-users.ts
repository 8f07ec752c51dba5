import { rooms } from '@taskflow/events';
import type { SessionUser } from '../../auth/auth.plugin';

/**
 * One frozen `SessionUser` per user (and browser session) for all of its sockets on this node, instead of a
 * copy per socket decoded from each handshake: a user with many tabs holds its id, org, names once. Held
 * weakly: an entry goes when the last socket holding the object has gone.
 */
export class SharedUsers {
  private readonly byKey = new Map<string, WeakRef<SessionUser>>();
  private readonly registry = new FinalizationRegistry<string>((key) => {
    // The entry may have been replaced by a newer object since: only a dead one is removed.
    if (this.byKey.get(key)?.deref() === undefined) this.byKey.delete(key);
  });

  /** The shared object equal to `user` (a new one becomes the shared one when none is, or it differs). */
  intern(user: SessionUser): SessionUser {
    const key = user.sessionId === undefined ? user.id : `${user.id} ${user.sessionId}`;
    const known = this.byKey.get(key)?.deref();
    if (known && same(known, user)) return known;
    const shared = Object.freeze({ ...user });
    this.byKey.set(key, new WeakRef(shared));
    this.registry.register(shared, key);
    return shared;
  }

  /** Users (and sessions) with a shared object on this node (for tests). */
  get size(): number {
    return this.byKey.size;
  }
}

function same(a: SessionUser, b: SessionUser): boolean {
  return a.id === b.id && a.orgId === b.orgId && a.username === b.username && a.name === b.name && a.sessionId === b.sessionId;
}

export interface UserRooms {
  user: string;
  org: string;
  /** The user's private tasks' dashboard updates. */
  dashboard: string;
}

const roomNames = new WeakMap<SessionUser, UserRooms>();

/**
 * The user's, its org's and its own dashboard's room names, built once per (shared) user object: every room a socket joins keeps
 * its name in the adapter's per-socket set, so sockets of one user given one string each hold it once.
 */
export function userRooms(user: SessionUser): UserRooms {
  let names = roomNames.get(user);
  if (!names) {
    names = { user: rooms.user(user.id), org: rooms.org(user.orgId), dashboard: rooms.userDashboard(user.id) };
    roomNames.set(user, names);
  }
  return names;
}
