import { sendJson, startFake, type RecordedRequest } from './http-fake';

/** What the fake model answers to one chat-completions request. */
export type OpenAiReply = { content: string } | { json: unknown } | { status: number; error: string };

/**
 * A local server that speaks OpenAI's chat-completions wire format
 * (POST /v1/chat/completions), so the real `openai` SDK can be driven against it. `delayMs`: every answer takes
 * that long, as a real model's does (a page's "analysing" state then lasts long enough to be seen).
 */
export async function startFakeOpenAI(opts: { apiKey: string; reply: (req: RecordedRequest, n: number) => OpenAiReply; delayMs?: number }) {
  let n = 0;
  const fake = await startFake(async (req, res) => {
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    if (req.method !== 'POST' || req.path !== '/v1/chat/completions') return sendJson(res, 404, { error: { message: 'not found' } });
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendJson(res, 401, {
        error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
      });
    }
    const reply = opts.reply(req, n++);
    if ('status' in reply) return sendJson(res, reply.status, { error: { message: reply.error, type: 'server_error', code: null } });
    const content = 'json' in reply ? JSON.stringify(reply.json) : reply.content;
    return sendJson(res, 200, {
      id: `chatcmpl-fake-${n}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: (req.body as { model?: string })?.model ?? 'fake',
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    });
  });
  return { ...fake, baseUrl: `${fake.url}/v1`, calls: () => fake.requests.filter((r) => r.path === '/v1/chat/completions') };
}
