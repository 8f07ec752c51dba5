import type { Page } from 'playwright-core';

/** The furthest the window was ever scrolled down (`window.__maxScrollY`): a jump that came and went still counts. */
export const WINDOW_SCROLL_RECORDER = `
  window.__maxScrollY = 0;
  addEventListener('scroll', () => { window.__maxScrollY = Math.max(window.__maxScrollY, window.scrollY); }, { passive: true });
`;

/** A change of an element's data-pulse, as recorded in the page the moment it happened. */
export interface Change {
  selector: 'row' | 'badge' | 'step';
  taskId: string | null;
  /** The row's or badge's data-status; the step's label. */
  status: string | null;
  pulse: string;
  /** The names of the CSS animations running on the element right then (none under reduced motion). */
  animations: string[];
}

/**
 * Records every data-pulse change of a dashboard row, a status badge or a stepper step (`window.__changes`), with
 * the animations it started: read in the mutation's own callback, so a brief animation is seen however slow the
 * test's round trips are.
 */
export const CHANGE_RECORDER = `
  window.__changes = [];
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      const el = m.target;
      const pulse = el.getAttribute('data-pulse');
      if (!pulse) continue;
      const selector = el.matches('li.task-row') ? 'row' : el.matches('.badge') ? 'badge' : el.matches('.stepper li') ? 'step' : null;
      if (!selector) continue;
      window.__changes.push({
        selector,
        taskId: el.closest('[data-task-id]')?.getAttribute('data-task-id') ?? null,
        status: selector === 'step' ? el.textContent : el.getAttribute('data-status'),
        pulse,
        animations: el.getAnimations().map((a) => a.animationName),
      });
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-pulse'] });
`;

type Frame = [string, Record<string, unknown>];

/** The `dashboard:task_list_updated` rows a page's sockets received, in order, as "taskId status" (batched ones too). */
export function recordDashboardRows(page: Page): string[] {
  const rows: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (!text.includes('"dashboard:')) return;
      const match = /^\d+(\[.*\])$/s.exec(text);
      if (!match) return;
      const [event, body] = JSON.parse(match[1]!) as Frame;
      const items =
        event === 'dashboard:batch'
          ? ((body as { items: Array<{ event: string; payload: Record<string, unknown> }> }).items ?? []).map((i): Frame => [
              i.event,
              i.payload,
            ])
          : [[event, body] as Frame];
      for (const [name, row] of items)
        if (name === 'dashboard:task_list_updated') rows.push(`${row.taskId as string} ${row.status as string}`);
    }),
  );
  return rows;
}
