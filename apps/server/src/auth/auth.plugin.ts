import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CREDENTIAL_ERRORS, TOKEN_AUDIENCE } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import type { TokenStandingCache } from './token-standing.cache';

export const JWT_ISSUER = 'taskflow-live';
const JWT_ALGORITHM = 'HS256';

/** What a session token carries: enough to authorise without a database read. */
export interface SessionUser {
  id: string;
  orgId: string;
  username: string;
  name: string;
  /** Set when the request (or socket) was authenticated by a browser session cookie. */
  sessionId?: string;
}

interface TokenClaims {
  sub: string;
  org: string;
  username: string;
  name: string;
  /** The user's token version when it was issued: a later "sign out everywhere" or disabling moves it on. */
  ver: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: SessionUser;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: 401 unless the request carries a valid, unexpired token of ours. */
    authenticate(request: FastifyRequest): Promise<void>;
    /** A Bearer token for `user` at their current token version (users.token_version; 0 until they first revoke). */
    signSession(user: SessionUser, tokenVersion?: number): string;
    /**
     * Verifies a token (as the HTTP preHandler does: signature, issuer, audience, expiry, then its version against
     * the user's through the per-node cache) and says when it expires. Throws AppError (401).
     */
    verifySession(token: string): Promise<{ user: SessionUser; expiresAt: number; tokenVersion: number }>;
    /** Checks again that a verified token's version (`ver`) still stands (through the per-node cache). Throws AppError (401). */
    checkTokenStanding(userId: string, tokenVersion: number): Promise<void>;
  }
}

const unauthorized = () => new AppError('UNAUTHORIZED', 401, 'Authentication required');

/**
 * JWT sessions. The algorithm, issuer and audience are pinned on both sides: @fastify/jwt
 * would otherwise accept any algorithm the token names. A token also carries its user's
 * token version (`ver`), so it can be revoked before it expires.
 */
export const authPlugin = fp<{
  secret: string;
  ttlSeconds: number;
  standing: TokenStandingCache;
  cookieAuth?: (request: FastifyRequest) => Promise<void>;
}>(async (app: FastifyInstance, opts) => {
  await app.register(fastifyCookie);
  await app.register(fastifyJwt, {
    secret: opts.secret,
    sign: { algorithm: JWT_ALGORITHM, iss: JWT_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: opts.ttlSeconds },
    // fast-jwt checks iss/aud/exp only when present: require them, or a token without them would pass.
    verify: {
      algorithms: [JWT_ALGORITHM],
      allowedIss: JWT_ISSUER,
      allowedAud: TOKEN_AUDIENCE,
      requiredClaims: ['iss', 'aud', 'exp', 'sub', 'ver'],
    },
    formatUser: (claims) => ({ id: claims.sub, orgId: claims.org, username: claims.username, name: claims.name }),
  });

  // Refuses a token of a disabled user, or of another token version than the user's (revoked).
  async function checkStanding(userId: string, ver: number): Promise<void> {
    let standing = await opts.standing.get(userId);
    // Newer than what this node holds: issued after a revocation elsewhere; read again rather than refuse it.
    if (standing && ver > standing.tokenVersion) {
      opts.standing.forget(userId);
      standing = await opts.standing.get(userId);
    }
    if (!standing) throw AppError.unauthorized('This account no longer exists');
    if (standing.disabled) throw new AppError('USER_DISABLED', 401, CREDENTIAL_ERRORS.USER_DISABLED);
    if (ver !== standing.tokenVersion) throw new AppError('TOKEN_REVOKED', 401, CREDENTIAL_ERRORS.TOKEN_REVOKED);
  }

  app.decorate('signSession', (user: SessionUser, tokenVersion = 0) =>
    app.jwt.sign({ sub: user.id, org: user.orgId, username: user.username, name: user.name, ver: tokenVersion }),
  );
  app.decorate('verifySession', async (token: string) => {
    let claims: TokenClaims & { exp: number };
    try {
      claims = app.jwt.verify<TokenClaims & { exp: number }>(token);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'FAST_JWT_EXPIRED' || code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED')
        throw new AppError('TOKEN_EXPIRED', 401, 'Your session has expired; log in again');
      throw unauthorized();
    }
    if (!Number.isSafeInteger(claims.ver) || claims.ver < 0) throw unauthorized();
    await checkStanding(claims.sub, claims.ver);
    return {
      user: { id: claims.sub, orgId: claims.org, username: claims.username, name: claims.name },
      expiresAt: claims.exp * 1000,
      tokenVersion: claims.ver,
    };
  });
  app.decorate('checkTokenStanding', checkStanding);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    // Browsers authenticate by the httpOnly session cookie; API clients (CLI, tests) by a Bearer token.
    const header = request.headers.authorization;
    if (!header && opts.cookieAuth) return opts.cookieAuth(request);
    const [scheme, token, ...rest] = (header ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length > 0) throw unauthorized();
    request.user = (await app.verifySession(token)).user;
  });
});
