import { githubWebHost, isGithubWebUrl, sameRepo } from './github-host';

describe('githubWebHost', () => {
  it.each([
    ['https://api.github.com', 'github.com'],
    ['https://api.github.com/', 'github.com'],
    ['https://ghe.example/api/v3', 'ghe.example'],
    ['https://GHE.example:8443/api/v3', 'ghe.example:8443'],
    ['https://api.acme.ghe.com', 'acme.ghe.com'],
  ])('derives the web host of %s as %s', (apiUrl, host) => {
    expect(githubWebHost({ apiUrl })).toBe(host);
  });

  it('prefers an explicit web URL', () => {
    expect(githubWebHost({ apiUrl: 'http://127.0.0.1:4010', webUrl: 'https://github.com' })).toBe('github.com');
  });
});

describe('isGithubWebUrl', () => {
  it('accepts an https URL on the host', () => {
    expect(isGithubWebUrl('https://github.com/acme/payments/pull/7', 'github.com')).toBe(true);
    expect(isGithubWebUrl('https://GitHub.com/acme/payments/pull/7', 'github.com')).toBe(true);
  });

  it.each([
    'http://github.com/acme/payments/pull/7',
    'javascript:alert(1)//github.com',
    'https://github.com.evil.example/acme/payments/pull/7',
    'https://evil.example/github.com/acme/payments/pull/7',
    'https://user:pw@github.com/acme/payments/pull/7',
    'https://github.com:444/acme/payments/pull/7',
    '//github.com/acme/payments/pull/7',
    'not a url',
    '',
  ])('rejects %j', (url) => {
    expect(isGithubWebUrl(url, 'github.com')).toBe(false);
  });
});

describe('sameRepo', () => {
  it('ignores case only', () => {
    expect(sameRepo('Acme/Payments', 'acme/payments')).toBe(true);
    expect(sameRepo('mallory/payments', 'acme/payments')).toBe(false);
  });
});
