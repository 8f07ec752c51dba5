import type { Page } from 'playwright-core';

/** WCAG 2.2 target size (minimum), 2.5.8: CSS pixels each way. */
export const MIN_TARGET_PX = 24;

export interface UndersizedTarget {
  /** Tag, test id or class, and text: enough to find it. */
  target: string;
  width: number;
  height: number;
  /** Why it fails: too small, or (for a link inside a sentence) too close to another target. */
  reason: string;
}

/**
 * Every visible target on the page as laid out now, measured in the browser, independent of
 * axe's heuristics (which can pass a small target on one machine's fonts and fail it on
 * another's). Each target's box must be at least 24×24 px. The one exception is 2.5.8's
 * inline one: a link inside a sentence, whose height the text's line sets; it must still keep
 * 24 px of room (a 24 px circle on its centre touches no other target, nor another small
 * target's circle). Resolves to the targets that fail; empty when all pass.
 * (Browser-side code as text: this project has no DOM types.)
 */
export async function undersizedTargets(page: Page): Promise<UndersizedTarget[]> {
  // Measure what the user sees: the shipped font in place, not a fallback about to be swapped.
  // (A frame first: by then the text laid out since the last change has asked for its fonts.)
  await page.evaluate('new Promise((done) => requestAnimationFrame(done)).then(() => document.fonts.ready).then(() => true)');
  return page.evaluate<UndersizedTarget[]>(`(() => {
    const MIN = ${MIN_TARGET_PX};
    const SELECTOR = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [role="link"], [role="checkbox"], [tabindex]:not([tabindex="-1"])';
    const shown = (el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      // Off the page (the skip link until it is focused) or not rendered (inside a closed <details>).
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.bottom + scrollY > 0 && r.right + scrollX > 0;
    };
    const targets = [...document.querySelectorAll(SELECTOR)].filter(shown);
    const inSentence = (el) => {
      if (getComputedStyle(el).display !== 'inline' || !el.parentElement) return false;
      const around = el.parentElement.cloneNode(true);
      for (const t of around.querySelectorAll(SELECTOR)) t.remove();
      return /\\S/.test(around.textContent);
    };
    const name = (el) =>
      el.tagName.toLowerCase() +
      (el.dataset.testid ? '[data-testid=' + el.dataset.testid + ']' : el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      (el.type && el.tagName === 'INPUT' ? '[type=' + el.type + ']' : '') +
      ' "' + (el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.textContent || '').trim().slice(0, 40) + '"';
    const boxes = targets.map((el) => {
      const r = el.getBoundingClientRect();
      return { el, r, small: r.width < MIN - 0.01 || r.height < MIN - 0.01 };
    });
    const centre = (r) => ({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
    const circleHitsRect = (c, r) => {
      const dx = Math.max(r.left - c.x, 0, c.x - r.right);
      const dy = Math.max(r.top - c.y, 0, c.y - r.bottom);
      return dx * dx + dy * dy < (MIN / 2) * (MIN / 2);
    };
    const problems = [];
    for (const b of boxes) {
      if (!b.small) continue;
      const size = { width: Math.round(b.r.width * 10) / 10, height: Math.round(b.r.height * 10) / 10 };
      if (!inSentence(b.el)) {
        problems.push({ target: name(b.el), ...size, reason: 'smaller than ' + MIN + '×' + MIN + ' px' });
        continue;
      }
      const c = centre(b.r);
      const crowding = boxes.find(
        (o) =>
          o !== b &&
          !o.el.contains(b.el) &&
          !b.el.contains(o.el) &&
          (circleHitsRect(c, o.r) || (o.small && Math.hypot(centre(o.r).x - c.x, centre(o.r).y - c.y) < MIN)),
      );
      if (crowding) problems.push({ target: name(b.el), ...size, reason: 'inline, but less than ' + MIN + ' px from ' + name(crowding.el) });
    }
    return problems;
  })()`);
}
