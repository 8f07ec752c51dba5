import { Type, type Static } from '@sinclair/typebox';

/**
 * Browser sessions on the socket. `session:refresh` slides the session the socket was
 * opened with (cookie) and re-arms the server's expiry timer without reconnecting; a
 * Bearer client passes its new token instead. The ack's data is `{ expiresAt }`.
 */
export const SessionRefreshMessage = Type.Object(
  { token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) },
  { additionalProperties: false },
);

/**
 * To every socket of a session that ended: go to the login page. `logout` (this session, any tab or node),
 * `expired`, `replaced` (the browser logged in again), `signed-out-everywhere` (every session and token of the
 * user), `disabled` (an admin disabled the account). The last three were added with migration 0006 (additive).
 */
export const SessionEndedPayload = Type.Object(
  {
    reason: Type.Union([
      Type.Literal('logout'),
      Type.Literal('expired'),
      Type.Literal('replaced'),
      Type.Literal('signed-out-everywhere'),
      Type.Literal('disabled'),
    ]),
  },
  { additionalProperties: false },
);

/**
 * Names of the session cookie (httpOnly, SameSite=Strict, Path=/). Over HTTPS (TLS on the node, or a trusted
 * proxy's `X-Forwarded-Proto: https`) it is `__Host-`-prefixed, which browsers accept only with Secure, Path=/
 * and no Domain: no subdomain or plain-http page can plant or overwrite it. Over plain http (a local run without
 * TLS) a browser would drop such a cookie, so it is the unprefixed name, without Secure. A request is read with the
 * name of its own scheme only (docs/operations.md#tls-layouts).
 */
export const SECURE_SESSION_COOKIE = '__Host-taskflow_session';
export const SESSION_COOKIE = 'taskflow_session';
export const sessionCookieName = (secure: boolean) => (secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE);
/** The header every cookie-authenticated write must carry its session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** The 403 `error` of a cookie write without its session's CSRF token (or from another origin): the page must sign in again or reload. */
export const CSRF_FAILED = 'CSRF_FAILED';

/** `aud` of every Bearer token this API issues (and requires). */
export const TOKEN_AUDIENCE = 'taskflow-api';

/**
 * Error codes of ended credentials (HTTP `error`, socket `error.code`): TOKEN_REVOKED, a Bearer token issued
 * before the user signed out everywhere (or was disabled); USER_DISABLED, an admin disabled the account (401 for
 * a token, 403 at login).
 */
export const CREDENTIAL_ERRORS = {
  TOKEN_REVOKED: 'This token was revoked; log in again',
  USER_DISABLED: 'This account is disabled',
} as const;
export type CredentialErrorCode = keyof typeof CREDENTIAL_ERRORS;

/** `POST /api/auth/sign-out-everywhere`: how many browser sessions ended (every Bearer token ends too). */
export const SignOutEverywhereResponse = Type.Object({ sessionsEnded: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export type SignOutEverywhereResponse = Static<typeof SignOutEverywhereResponse>;

/** `PUT /api/admin/users/:userId/disabled` body: disable (true) or enable again (false). */
export const UserDisabledBody = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false });
export const UserIdParams = Type.Object({ userId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
export const UserDisabledResponse = Type.Object(
  { userId: Type.String(), disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) },
  { additionalProperties: false },
);
export type UserDisabledResponse = Static<typeof UserDisabledResponse>;
