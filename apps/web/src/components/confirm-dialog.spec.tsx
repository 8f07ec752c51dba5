/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { useState } from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { ConfirmDialog } from './confirm-dialog';

function Page({ destructive, onConfirm }: { destructive?: boolean; onConfirm: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <main>
      <button type="button">Before</button>
      <button type="button" onClick={() => setOpen(true)}>
        Retry
      </button>
      <button type="button">After</button>
      {open && (
        <ConfirmDialog
          title="Retry this task?"
          message="It starts again from analysis."
          confirmLabel="Yes, retry"
          destructive={destructive}
          onConfirm={() => {
            onConfirm();
            setOpen(false);
          }}
          onCancel={() => setOpen(false)}
        />
      )}
    </main>
  );
}

function openDialog(props: { destructive?: boolean; onConfirm?: () => void } = {}) {
  const confirm = props.onConfirm ?? jest.fn();
  render(<Page destructive={props.destructive} onConfirm={confirm} />);
  const opener = screen.getByRole('button', { name: 'Retry' });
  opener.focus();
  fireEvent.click(opener);
  return { opener, dialog: screen.getByRole('alertdialog', { name: 'Retry this task?' }), confirm };
}
const tab = (shift = false) => fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Tab', shiftKey: shift });

it('is a labelled, described modal whose confirm button has focus when it opens', () => {
  const { dialog } = openDialog();
  expect(dialog.getAttribute('aria-modal')).toBe('true');
  expect(document.getElementById(dialog.getAttribute('aria-describedby')!)?.textContent).toBe('It starts again from analysis.');
  expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Yes, retry' }));
});

it('puts focus on the safe choice first when the action is destructive', () => {
  openDialog({ destructive: true });
  expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Keep it' }));
});

it('keeps Tab and Shift+Tab inside the dialog', () => {
  const { dialog } = openDialog();
  const [yes, keep] = [screen.getByRole('button', { name: 'Yes, retry' }), screen.getByRole('button', { name: 'Keep it' })];
  keep.focus();
  tab();
  expect(document.activeElement).toBe(yes);
  tab(true);
  expect(document.activeElement).toBe(keep);
  // Focus that lands outside (a click on the page behind) is pulled back in.
  screen.getByRole('button', { name: 'After' }).focus();
  expect(dialog.contains(document.activeElement)).toBe(true);
});

it('closes on Escape and gives focus back to the button that opened it', () => {
  const { opener, confirm } = openDialog();
  fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(document.activeElement).toBe(opener);
  expect(confirm).not.toHaveBeenCalled();
});

it('confirms, closes and returns focus; a click on the backdrop cancels', () => {
  const { opener, confirm } = openDialog();
  fireEvent.click(screen.getByRole('button', { name: 'Yes, retry' }));
  expect(confirm).toHaveBeenCalledTimes(1);
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(document.activeElement).toBe(opener);
  fireEvent.click(opener);
  fireEvent.click(document.querySelector('.dialog-backdrop')!);
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(confirm).toHaveBeenCalledTimes(1);
});
