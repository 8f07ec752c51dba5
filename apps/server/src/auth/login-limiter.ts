import type { FastifyReply } from 'fastify';
import type { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited, type HttpRateLimits } from '../http/rate-limits';

export interface LoginLimits {
  maxFailures: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

/**
 * Password guessing is limited by failed attempts, across nodes: per client
 * address and username (one user's typos lock out only that user from that
 * address), and per address (spraying many usernames). A success clears the
 * address+username count. The address is the real client's: X-Forwarded-For
 * is believed only from TRUSTED_PROXIES.
 *
 * When Redis is down, the counts live in each node's memory (a local fallback
 * rather than failing open): login keeps working and guessing stays bounded
 * per node.
 */
export class LoginLimiter {
  private readonly byUser: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(
    private readonly limits: HttpRateLimits,
    opts: LoginLimits,
  ) {
    this.byUser = limits.limiter('login-user', opts.maxFailures, opts.windowSeconds);
    this.byAddress = limits.limiter('login-address', opts.maxFailuresPerAddress, opts.windowSeconds);
  }

  private static userKey(ip: string, username: string) {
    return JSON.stringify([ip, username.toLowerCase()]);
  }

  /** Throws 429 RATE_LIMITED while either count is exhausted, before the password is checked. */
  async assertAllowed(ip: string, username: string, reply: FastifyReply): Promise<void> {
    this.limits.noteFallback();
    const [user, address] = await Promise.all([this.byUser.get(LoginLimiter.userKey(ip, username)), this.byAddress.get(ip)]);
    const exhausted = [
      [user, this.byUser.points],
      [address, this.byAddress.points],
    ].find(([res, points]) => res && (res as RateLimiterRes).consumedPoints >= (points as number));
    if (exhausted) throw rateLimited(exhausted[0] as RateLimiterRes, reply, 'Too many failed logins');
  }

  async failed(ip: string, username: string): Promise<void> {
    // A rejection here only means the count is already at its limit.
    await Promise.allSettled([this.byUser.consume(LoginLimiter.userKey(ip, username)), this.byAddress.consume(ip)]);
  }

  async succeeded(ip: string, username: string): Promise<void> {
    await this.byUser.delete(LoginLimiter.userKey(ip, username)).catch(() => undefined);
  }
}
