import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '@taskflow/platform';
import { rateLimited, type HttpRateLimits } from '../http/rate-limits';
import { ClientGone, LoginGate, type LoginGateLimits, type LoginGateRefusal, type LoginTicket } from './login-gate';

export interface LoginLimits {
  maxFailures: number;
  maxFailuresPerAddress: number;
  /** Per username from every address; refuses only once the address's own budget is spent too (shared NAT). */
  maxFailuresPerUser: number;
  windowSeconds: number;
  /** Password checks per node: running at once, waiting, and per client address (running or waiting). */
  checks: LoginGateLimits;
}

/**
 * Password guessing is limited by failed attempts, across nodes: per client
 * address and username (one user's typos lock out only that user from that
 * address), and per address (spraying many usernames). The address is the real
 * client's: X-Forwarded-For is believed only from TRUSTED_PROXIES.
 *
 * Many users can share one address (a NAT, a corporate proxy), so a spent
 * address budget alone never refuses a login: it is refused only when that
 * username's own budget (failures from every address) is spent as well. Past its
 * address budget, one address may still try each username until that
 * username's budgets are spent; every wrong password counts in all three.
 *
 * An attempt takes its point from both budgets atomically (one Redis script
 * each) before the password is checked, and a success gives it back (and clears
 * the address+username count): parallel guesses cannot all slip in before the
 * first is counted. On top of that, this node runs only a few checks at once
 * (LoginGate): a flood is answered 503 LOGIN_BUSY rather than stalling the node.
 *
 * When Redis is down, the counts live in each node's memory (a local fallback
 * rather than failing open): login keeps working and guessing stays bounded
 * per node.
 */
export class LoginLimiter {
  private readonly byUser: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;
  private readonly byUsername: RateLimiterRedis;
  private readonly gate: LoginGate;
  private readonly tickets = new WeakMap<FastifyRequest, LoginTicket>();

  constructor(
    private readonly limits: HttpRateLimits,
    opts: LoginLimits,
  ) {
    this.byUser = limits.limiter('login-user', opts.maxFailures, opts.windowSeconds);
    this.byAddress = limits.limiter('login-address', opts.maxFailuresPerAddress, opts.windowSeconds);
    this.byUsername = limits.limiter('login-username', opts.maxFailuresPerUser, opts.windowSeconds);
    this.gate = new LoginGate(opts.checks);
  }

  private static userKey(ip: string, username: string) {
    return JSON.stringify([ip, username.toLowerCase()]);
  }

  /**
   * onRequest hook of the login routes: admits the check (or refuses it) before the body is read, which under a flood is
   * most of what a refusal would otherwise cost. A client that leaves gives its place up.
   */
  readonly admit = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ticket = this.gate.enter(request.ip);
    if ('refused' in ticket) throw refusedError(ticket, reply);
    this.tickets.set(request, ticket);
    reply.raw.once('close', () => ticket.abandon());
  };

  /**
   * Runs `verify` (the password check) within the limits and answers what it found, or throws: 429 RATE_LIMITED while a
   * budget is spent or this address has too many checks under way, 503 LOGIN_BUSY while the node's queue is full.
   */
  async attempt<T>(
    request: FastifyRequest,
    username: string,
    reply: FastifyReply,
    verify: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const ip = request.ip;
    const ticket = this.tickets.get(request) ?? this.gate.enter(ip);
    if ('refused' in ticket) throw refusedError(ticket, reply);
    try {
      if (ticket.abandoned) throw new ClientGone();
      await this.take(ip, username, reply);
      let user: T | undefined;
      try {
        await ticket.turn();
        user = await verify();
      } catch (err) {
        // Not checked (the client left, the database is down): the attempt does not count.
        await this.giveBack(ip, username);
        throw err;
      }
      if (user) await this.succeeded(ip, username);
      return user;
    } catch (err) {
      throw err instanceof ClientGone ? new AppError('CLIENT_GONE', 499, err.message) : err;
    } finally {
      ticket.release();
    }
  }

  /**
   * Takes one point from each budget at once. Refused while the address+username budget is spent, or the address's and
   * the username's both are; a refusal gives back what it took (only checked attempts count).
   */
  private async take(ip: string, username: string, reply: FastifyReply): Promise<void> {
    this.limits.noteFallback();
    const userKey = LoginLimiter.userKey(ip, username);
    const [pair, address, name] = await Promise.allSettled([
      this.byUser.consume(userKey),
      this.byAddress.consume(ip),
      this.byUsername.consume(username),
    ]);
    const failure = [pair, address, name].find((r) => r.status === 'rejected' && r.reason instanceof Error);
    const spent = (r: PromiseSettledResult<unknown>) => r.status === 'rejected';
    if (!failure && !spent(pair) && !(spent(address) && spent(name))) return;
    await Promise.allSettled([
      pair.status === 'fulfilled' && this.byUser.reward(userKey),
      address.status === 'fulfilled' && this.byAddress.reward(ip),
      name.status === 'fulfilled' && this.byUsername.reward(username),
    ]);
    if (failure?.status === 'rejected') throw failure.reason;
    // The later of the budgets that refused says when to come back.
    const refusing = (spent(pair) ? [pair] : [address, name]) as PromiseRejectedResult[];
    const res = refusing.map((r) => r.reason as RateLimiterRes).sort((a, b) => b.msBeforeNext - a.msBeforeNext)[0]!;
    throw rateLimited(res, reply, 'Too many failed logins');
  }

  private async giveBack(ip: string, username: string): Promise<void> {
    await Promise.allSettled([
      this.byUser.reward(LoginLimiter.userKey(ip, username)),
      this.byAddress.reward(ip),
      this.byUsername.reward(username),
    ]);
  }

  /** A right password clears this address's count for the username; the others only get this attempt back. */
  private async succeeded(ip: string, username: string): Promise<void> {
    await Promise.allSettled([
      this.byUser.delete(LoginLimiter.userKey(ip, username)),
      this.byAddress.reward(ip),
      this.byUsername.reward(username),
    ]);
  }
}

function refusedError(refusal: LoginGateRefusal, reply: FastifyReply): AppError {
  if (refusal.refused === 'address') {
    void reply.header('retry-after', '1');
    return new AppError('RATE_LIMITED', 429, 'Too many logins at once from this address; try again in 1 s');
  }
  void reply.header('retry-after', String(refusal.retryAfterSeconds));
  return new AppError('LOGIN_BUSY', 503, `Too many logins at once on this server; try again in ${refusal.retryAfterSeconds} s`);
}
