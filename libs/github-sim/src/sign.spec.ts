import { signPayload } from './sign';

describe('signPayload', () => {
  it("matches GitHub's documented test vector", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signPayload("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('gives the same signature for a string and its UTF-8 bytes', () => {
    const body = '{"title":"Zahlung prüfen ✓"}';
    expect(signPayload('s3cret', Buffer.from(body, 'utf8'))).toBe(signPayload('s3cret', body));
  });
});
