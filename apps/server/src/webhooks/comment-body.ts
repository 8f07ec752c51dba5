/** Longest comment body stored on a task's timeline: anyone on GitHub can write one, of any size. */
export const MAX_COMMENT_BODY_CHARS = 2000;

/** The body as stored: cut at MAX_COMMENT_BODY_CHARS (by code point, never inside a surrogate pair), marked with an ellipsis. */
export function storedCommentBody(body: string | null): string {
  const chars = Array.from(body ?? '');
  return chars.length <= MAX_COMMENT_BODY_CHARS ? chars.join('') : `${chars.slice(0, MAX_COMMENT_BODY_CHARS - 1).join('')}…`;
}
