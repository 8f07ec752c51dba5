/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { render, screen } from '@testing-library/react';
import { SessionProvider } from '../auth/session';
import { SESSION } from '../testing/fake-gateway';
import { LoginPage } from './login-page';

describe('LoginPage', () => {
  it('names every demo user `npm start` seeds, the admin included, with their orgs', () => {
    render(
      <SessionProvider initial={SESSION}>
        <LoginPage />
      </SessionProvider>,
    );
    const hint = screen.getByText(/^Demo users:/);
    expect(hint.textContent).toBe(
      "Demo users: alice, bob, admin, ops (acme; admin: acme's parked jobs, ops: the cluster, in Operations) · carol (globex)",
    );
  });
});
