import { useEffect, type RefObject } from 'react';

/**
 * A popover's way out: Escape closes it and puts focus back on the button that opened it;
 * a click or focus landing outside it closes it and leaves focus where it went.
 */
export function usePopoverDismiss(
  container: RefObject<HTMLElement | null>,
  trigger: RefObject<HTMLElement | null>,
  open: boolean,
  close: () => void,
): void {
  useEffect(() => {
    if (!open) return;
    const outside = (target: EventTarget | null) => target instanceof Node && !container.current?.contains(target);
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || outside(e.target)) return;
      e.preventDefault();
      close();
      trigger.current?.focus();
    };
    const onPointer = (e: Event) => {
      if (outside(e.target)) close();
    };
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('mousedown', onPointer);
    document.addEventListener('focusin', onPointer);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('mousedown', onPointer);
      document.removeEventListener('focusin', onPointer);
    };
  }, [container, trigger, open, close]);
}
