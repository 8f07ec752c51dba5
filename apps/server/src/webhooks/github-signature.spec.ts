import { verifyGithubSignature } from './github-signature';

// GitHub's published test vector:
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = Buffer.from('Hello, World!', 'utf8');
const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifyGithubSignature', () => {
  it("accepts GitHub's published test vector", () => {
    expect(verifyGithubSignature(SECRET, PAYLOAD, SIGNATURE)).toBe(true);
  });

  it('refuses the same signature for another secret or another body', () => {
    expect(verifyGithubSignature('It is a Secret to Everybody', PAYLOAD, SIGNATURE)).toBe(false);
    expect(verifyGithubSignature(SECRET, Buffer.from('Hello, World!\n', 'utf8'), SIGNATURE)).toBe(false);
  });

  it('refuses a digest differing in its last character', () => {
    expect(verifyGithubSignature(SECRET, PAYLOAD, `${SIGNATURE.slice(0, -1)}f`)).toBe(false);
  });

  it.each([
    ['one character short', SIGNATURE.slice(0, -1)],
    ['one character long', `${SIGNATURE}0`],
    ['empty after the prefix', 'sha256='],
    ['of the same length in characters but not in bytes', `${SIGNATURE.slice(0, -1)}é`],
  ])('returns false, without throwing, for a header %s', (_case, header) => {
    expect(() => verifyGithubSignature(SECRET, PAYLOAD, header)).not.toThrow();
    expect(verifyGithubSignature(SECRET, PAYLOAD, header)).toBe(false);
  });

  it.each([
    ['sha1=', `sha1=${SIGNATURE.slice('sha256='.length)}`],
    ['an upper-case prefix', `SHA256=${SIGNATURE.slice('sha256='.length)}`],
    ['no prefix', SIGNATURE.slice('sha256='.length)],
  ])('returns false for a header with %s', (_case, header) => {
    expect(verifyGithubSignature(SECRET, PAYLOAD, header)).toBe(false);
  });

  it('returns false for a missing or empty header', () => {
    expect(verifyGithubSignature(SECRET, PAYLOAD, undefined)).toBe(false);
    expect(verifyGithubSignature(SECRET, PAYLOAD, '')).toBe(false);
  });
});
