import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '@taskflow/events';

/** Error answers every route may give (`{ error, message, details? }`), documented and checked like the rest. */
export const ERROR_RESPONSES = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const;

/** How a route is authenticated, for the OpenAPI description: a Bearer token or the browser session's cookie. */
export const SIGNED_IN: ReadonlyArray<Record<string, readonly string[]>> = [{ bearer: [] }, { session: [] }];

/** A 204: no body. */
export const NO_CONTENT = Type.Null({ description: 'No content' });
