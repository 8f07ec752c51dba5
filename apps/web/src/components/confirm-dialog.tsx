import { useId, useRef } from 'react';
import { useFocusTrap } from './use-focus-trap';

export interface ConfirmDialogProps {
  title: string;
  message: string;
  confirmLabel: string;
  cancelLabel?: string;
  /** A destructive action: the safe choice gets focus first. */
  destructive?: boolean;
  onConfirm(): void;
  onCancel(): void;
}

/**
 * A modal confirmation: labelled and described for screen readers, focus trapped inside,
 * Escape or the backdrop cancels, and focus goes back to the button that opened it.
 */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  cancelLabel = 'Keep it',
  destructive,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useFocusTrap(ref, { trap: true, onEscape: onCancel, initial: destructive ? '[data-dialog-cancel]' : '[data-dialog-confirm]' });
  return (
    <div className="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        ref={ref}
        className="dialog card"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-message`}
        tabIndex={-1}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <p id={`${id}-message`}>{message}</p>
        <div className="actions">
          <button type="button" className="primary" data-dialog-confirm onClick={onConfirm}>
            {confirmLabel}
          </button>
          <button type="button" data-dialog-cancel onClick={onCancel}>
            {cancelLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
