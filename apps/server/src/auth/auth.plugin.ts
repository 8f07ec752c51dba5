import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '@taskflow/platform';

export const JWT_ISSUER = 'taskflow-live';
export const JWT_ALGORITHM = 'HS256';

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
    signSession(user: SessionUser): string;
    /** Verifies a token (as the HTTP preHandler does) and says when it expires. */
    verifySession(token: string): { user: SessionUser; expiresAt: number };
  }
}

/**
 * JWT sessions. The algorithm and issuer are pinned on both sides: @fastify/jwt
 * would otherwise accept any algorithm the token names.
 */
export const authPlugin = fp<{ secret: string; ttlSeconds: number; cookieAuth?: (request: FastifyRequest) => Promise<void> }>(
  async (app: FastifyInstance, opts) => {
    await app.register(fastifyCookie);
    await app.register(fastifyJwt, {
      secret: opts.secret,
      sign: { algorithm: JWT_ALGORITHM, iss: JWT_ISSUER, expiresIn: opts.ttlSeconds },
      // fast-jwt checks iss/exp only when present: require them, or a token without them would pass.
      verify: { algorithms: [JWT_ALGORITHM], allowedIss: JWT_ISSUER, requiredClaims: ['iss', 'exp', 'sub'] },
      formatUser: (claims) => ({ id: claims.sub, orgId: claims.org, username: claims.username, name: claims.name }),
    });

    app.decorate('signSession', (user: SessionUser) =>
      app.jwt.sign({ sub: user.id, org: user.orgId, username: user.username, name: user.name }),
    );
    app.decorate('verifySession', (token: string) => {
      const claims = app.jwt.verify<TokenClaims & { exp: number }>(token);
      return { user: { id: claims.sub, orgId: claims.org, username: claims.username, name: claims.name }, expiresAt: claims.exp * 1000 };
    });
    app.decorate('authenticate', async (request: FastifyRequest) => {
      // Browsers authenticate by the httpOnly session cookie; API clients (CLI, tests) by a Bearer token.
      if (!request.headers.authorization && opts.cookieAuth) return opts.cookieAuth(request);
      try {
        await request.jwtVerify();
      } catch (err) {
        const expired = (err as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED';
        throw new AppError(
          expired ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED',
          401,
          expired ? 'Your session has expired; log in again' : 'Authentication required',
        );
      }
    });
  },
);
