import { tokenStanding, type Db, type TokenStanding } from '@taskflow/store';

/** Entries beyond which the cache starts over (a node sees far fewer distinct token users within one TTL). */
const MAX_ENTRIES = 50_000;

/**
 * Each user's token version and disabled flag, as Bearer checks read them: kept `ttlMs` per node, so a token
 * revoked on another node stops working here within `ttlMs` at most (sooner: the revoking node tells the others
 * to `forget` the user through the Socket.IO adapter). Concurrent checks of one user share one read. `ttlMs` 0
 * reads the database every time.
 */
export class TokenStandingCache {
  private readonly entries = new Map<string, { at: number; standing: Promise<TokenStanding | undefined> }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  get(userId: string): Promise<TokenStanding | undefined> {
    const now = Date.now();
    const hit = this.entries.get(userId);
    if (hit && now - hit.at < this.ttlMs) return hit.standing;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const standing = tokenStanding(this.db, userId);
    this.entries.set(userId, { at: now, standing });
    // A failed read is not kept: the next check asks again.
    standing.catch(() => this.entries.get(userId)?.standing === standing && this.entries.delete(userId));
    return standing;
  }

  forget(userId: string): void {
    this.entries.delete(userId);
  }
}
