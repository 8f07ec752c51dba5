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

/** True for an `https://` URL on exactly `host` (no credentials): safe to show as a link to GitHub. */
export function isGithubWebUrl(url: string, host: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.host === host.toLowerCase() && !parsed.username && !parsed.password;
}

/** GitHub names are case-insensitive: `Acme/Payments` is `acme/payments`. */
export function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
