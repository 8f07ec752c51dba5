import { useEffect, useEffectEvent, type RefObject } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The elements Tab can reach inside a container, in order. */
function focusables(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest('[inert]') && !el.hidden);
}

export interface FocusTrapOptions {
  /** Keep Tab and Shift+Tab inside the container (a modal dialog); otherwise only focus in and back out. */
  trap: boolean;
  /** Escape inside the container. */
  onEscape?: () => void;
  /** What gets focus first; the first focusable element when not given or not found. */
  initial?: string;
}

/**
 * Focus handling for a dialog or an inline panel while it is mounted: focus moves into it, Tab
 * stays inside when trapped, Escape calls onEscape, and when it goes away focus returns to
 * the element that had it before (the button that opened it), if that is still on the page.
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>, { trap, onEscape, initial }: FocusTrapOptions): void {
  // The caller's latest onEscape, without re-running the effect (and moving focus) when it changes.
  const escape = useEffectEvent((): boolean => {
    if (!onEscape) return false;
    onEscape();
    return true;
  });
  useEffect(() => {
    const container = ref.current;
    if (!container) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const first = (initial ? container.querySelector<HTMLElement>(initial) : null) ?? focusables(container)[0] ?? container;
    first.focus();
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && escape()) {
        e.preventDefault();
        e.stopPropagation();
        return;
      }
      if (!trap || e.key !== 'Tab') return;
      const items = focusables(container);
      if (items.length === 0) {
        e.preventDefault();
        return;
      }
      const firstItem = items[0]!;
      const lastItem = items[items.length - 1]!;
      const active = document.activeElement;
      if (e.shiftKey && (active === firstItem || !container.contains(active))) {
        e.preventDefault();
        lastItem.focus();
      } else if (!e.shiftKey && (active === lastItem || !container.contains(active))) {
        e.preventDefault();
        firstItem.focus();
      }
    };
    // A modal keeps focus even when a click lands outside it; an inline panel only hears its own keys.
    const onFocusIn = (e: FocusEvent) => {
      if (e.target instanceof Node && !container.contains(e.target)) (focusables(container)[0] ?? container).focus();
    };
    const target: HTMLElement | Document = trap ? document : container;
    target.addEventListener('keydown', onKeyDown as EventListener);
    if (trap) document.addEventListener('focusin', onFocusIn);
    return () => {
      target.removeEventListener('keydown', onKeyDown as EventListener);
      document.removeEventListener('focusin', onFocusIn);
      if (before?.isConnected) before.focus();
    };
    // Runs once per opening: the container, the mode and the first field stay the same while it is open.
  }, [ref, trap, initial]);
}
