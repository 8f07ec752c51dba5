import { navigate } from '../router';

/** What an unknown page (or one this user may not see) shows: the same for both, so nothing is revealed. */
export function NotFound() {
  return (
    <main className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing here.{' '}
        <a
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          Back to the tasks
        </a>
      </p>
    </main>
  );
}
