import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LoginBody, LoginResponse, MeResponse } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { findUserById, type Db } from '@taskflow/store';
import { ERROR_RESPONSES, SIGNED_IN } from '../http/route-schema';
import { checkLogin } from './login.check';
import type { LoginLimiter } from './login-limiter';

function publicUser(u: { id: string; username: string; name: string; orgId: string }) {
  return { id: u.id, username: u.username, name: u.name, orgId: u.orgId };
}

const tags = ['auth'];

export async function authRoutes(plain: FastifyInstance, deps: { db: Db; loginLimiter: LoginLimiter }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const loginDoc = {
    tags,
    description:
      'Log in for a Bearer token (API clients; browsers use POST /api/auth/session). Failed attempts are limited per user and address ' +
      '(429 RATE_LIMITED); 503 LOGIN_BUSY with Retry-After while this server has too many logins to check.',
    body: LoginBody,
    response: { 200: LoginResponse, ...ERROR_RESPONSES },
  };
  app.post('/api/auth/login', { schema: loginDoc, onRequest: deps.loginLimiter.admit }, async (request, reply) => {
    const user = await checkLogin(deps, request, request.body, reply);
    const session = { id: user.id, orgId: user.orgId, username: user.username, name: user.name };
    return { token: app.signSession(session, user.tokenVersion), user: publicUser(user) };
  });

  const meDoc = {
    tags,
    security: SIGNED_IN,
    description: 'The signed-in user, read from the database.',
    response: { 200: MeResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/auth/me', { schema: meDoc, preHandler: app.authenticate }, async (request) => {
    // The token may outlive the account: answer from the database, not the claims.
    const user = await findUserById(deps.db, request.user.id);
    if (!user) throw AppError.unauthorized('This account no longer exists');
    return { user: publicUser(user) };
  });
}
