import { githubWebHost } from './github-host';

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
