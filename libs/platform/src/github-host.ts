/**
 * Where GitHub's web pages live, so links that reach browsers (issue and pull
 * request URLs) can be held to it. GitHub and GHE.com serve the API on an
 * `api.` subdomain of the web host; GitHub Enterprise Server serves it under
 * `/api/v3` on the web host itself.
 */
export function githubWebHost(opts: { apiUrl: string; webUrl?: string }): string {
  if (opts.webUrl) return new URL(opts.webUrl).host.toLowerCase();
  const host = new URL(opts.apiUrl).host.toLowerCase();
  return host.startsWith('api.') ? host.slice('api.'.length) : host;
}
