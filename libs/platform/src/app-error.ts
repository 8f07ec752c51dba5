/**
 * The one error type of the product: a stable machine-readable `code`, the HTTP
 * status it maps to, and a message that is safe to show to the user.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static badRequest(message: string, details?: unknown) {
    return new AppError('BAD_REQUEST', 400, message, details);
  }
  static unauthorized(message = 'Authentication required') {
    return new AppError('UNAUTHORIZED', 401, message);
  }
  static forbidden(message = 'Not allowed') {
    return new AppError('FORBIDDEN', 403, message);
  }
  static notFound(message = 'Not found') {
    return new AppError('NOT_FOUND', 404, message);
  }
  static conflict(code: string, message: string, details?: unknown) {
    return new AppError(code, 409, message, details);
  }
  static unavailable(message = 'Service temporarily unavailable') {
    return new AppError('UNAVAILABLE', 503, message);
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
