import { useState } from 'react';

/** The two names of the pulse: a change flips between them, and a new animation name restarts the CSS animation. */
export type Pulse = 'a' | 'b';

/**
 * The `data-pulse` of an element that animates briefly whenever `value` changes (a status): undefined until the
 * first change (or 'a' at once for an element `fresh` when it appears), then flipping on each change, so every
 * change plays the animation again rather than only the first. prefers-reduced-motion turns it off in CSS.
 */
export function usePulse(value: string, fresh = false): Pulse | undefined {
  const [seen, setSeen] = useState({ value, changes: fresh ? 1 : 0 });
  let { changes } = seen;
  if (seen.value !== value) {
    changes += 1;
    // State derived from the previous render's value (React's "storing information from previous renders").
    setSeen({ value, changes });
  }
  return changes === 0 ? undefined : changes % 2 === 1 ? 'a' : 'b';
}
