import { Type } from '@sinclair/typebox';

/**
 * Browser sessions on the socket. `session:refresh` slides the session the socket was
 * opened with (cookie) and re-arms the server's expiry timer without reconnecting; a
 * Bearer client passes its new token instead. The ack's data is `{ expiresAt }`.
 */
export const SessionRefreshMessage = Type.Object(
  { token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) },
  { additionalProperties: false },
);

/** To every socket of a session that ended (logout on any tab or node, or expiry): go to the login page. */
export const SessionEndedPayload = Type.Object(
  { reason: Type.Union([Type.Literal('logout'), Type.Literal('expired')]) },
  { additionalProperties: false },
);

/** Name of the session cookie (httpOnly, SameSite=Strict) and of the CSRF header writes must carry with it. */
export const SESSION_COOKIE = 'taskflow_session';
export const CSRF_HEADER = 'x-csrf-token';
