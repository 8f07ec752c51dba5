import { sql } from 'kysely';
import { CODING_AGENTS, effectiveAgent, PREFERRED_AGENTS, taskMatchesFilter, toDashboardTask, type TaskFilter } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { createStoreFixture, type StoreFixture } from './testing';
import { countFilteredTasks, listTasks } from './tasks.queries';
import { EFFECTIVE_AGENT_SQL, type TaskRecord } from './task-record';

let f: StoreFixture;
const ids: Record<string, string> = {};

beforeAll(async () => {
  f = await createStoreFixture();
  const { alice, bob, carol } = f.users;
  const make = async (key: string, creator: typeof alice, o: Parameters<StoreFixture['newTask']>[1]) => {
    ids[key] = (await f.newTask(creator, o)).task.id;
  };
  await make('csv', alice, {
    title: 'Add CSV export',
    description: 'Exporting invoices as CSV files',
    repo: 'acme/web',
    priority: 'urgent',
  });
  await make('refund', alice, { title: 'Refund flow', description: 'Refunds fail for partial captures', preferredAgent: 'codex' });
  await make('bobCsv', bob, { title: 'CSV import', description: 'Import customers from a spreadsheet', repo: 'acme/web' });
  await make('private', bob, { title: 'Secret CSV thing', description: 'Only bob sees this', isPrivate: true });
  await make('carol', carol, { title: 'Globex CSV export', description: 'Another org entirely' });
  // Dated for the range filters: refund two days old, bobCsv updated a week ago.
  await sql`update tasks set created_at = '2026-03-10T12:00:00Z', updated_at = '2026-03-12T12:00:00Z' where id = ${ids.refund}`.execute(
    f.db,
  );
  await sql`update tasks set created_at = '2026-03-01T08:00:00Z', updated_at = '2026-03-05T08:00:00Z' where id = ${ids.bobCsv}`.execute(
    f.db,
  );
});
afterAll(() => f.close());

const titles = (tasks: TaskRecord[]) => tasks.map((t) => t.title).sort();
const search = (filter: TaskFilter, extra: { limit?: number; cursor?: string | null } = {}) =>
  listTasks(f.db, f.users.alice, { ...extra, filter });

describe('task search', () => {
  it('matches title and description by stemmed words, only among tasks the viewer can see', async () => {
    // "exports" stems like "export"/"exporting"; bob's private task and carol's other org stay hidden.
    expect(titles((await search({ q: 'exports' })).tasks)).toEqual(['Add CSV export']);
    expect(titles((await search({ q: 'csv' })).tasks)).toEqual(['Add CSV export', 'CSV import']);
    expect(titles((await search({ q: 'partial captures' })).tasks)).toEqual(['Refund flow']);
    expect(titles((await search({ q: 'csv -import' })).tasks)).toEqual(['Add CSV export']);
    expect((await search({ q: 'nothing-like-this' })).tasks).toEqual([]);
  });

  it('uses the GIN index on the generated search vector', async () => {
    await sql`set enable_seqscan = off`.execute(f.db);
    const plan = await sql<{
      'QUERY PLAN': string;
    }>`explain select id from tasks where search_vector @@ websearch_to_tsquery('english', 'csv')`.execute(f.db);
    await sql`reset enable_seqscan`.execute(f.db);
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('tasks_search_idx');
  });

  it('filters by repository, priority, agent, status, creator and date ranges, combined', async () => {
    expect(titles((await search({ repo: 'acme/web' })).tasks)).toEqual(['Add CSV export', 'CSV import']);
    expect(titles((await search({ repo: 'acme/web', priority: 'urgent' })).tasks)).toEqual(['Add CSV export']);
    expect(titles((await search({ agent: 'codex' })).tasks)).toEqual(['Refund flow']);
    expect(titles((await search({ q: 'csv', creator: f.users.bob.id })).tasks)).toEqual(['CSV import']);
    expect(titles((await search({ createdFrom: '2026-03-10', createdTo: '2026-03-10' })).tasks)).toEqual(['Refund flow']);
    expect(titles((await search({ updatedTo: '2026-03-12' })).tasks)).toEqual(['CSV import', 'Refund flow']);
    expect(titles((await search({ updatedFrom: '2026-03-06T00:00:00Z', updatedTo: '2026-03-12T11:59:59Z' })).tasks)).toEqual([]);
    expect(titles((await listTasks(f.db, f.users.alice, { status: ['received'], filter: { repo: 'acme/payments' } })).tasks)).toEqual([
      'Refund flow',
    ]);
  });

  it('pages through a filtered view with the keyset cursor, without repeats or gaps', async () => {
    const extra: string[] = [];
    for (let i = 0; i < 7; i++)
      extra.push((await f.newTask(f.users.alice, { title: `Paging widget ${i}`, description: 'paging test', repo: 'acme/web' })).task.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search({ q: 'paging', repo: 'acme/web' }, { limit: 3, cursor });
      seen.push(...page.tasks.map((t) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(extra.sort());
  });

  it('counts the whole filtered view, not the page', async () => {
    expect(await countFilteredTasks(f.db, f.users.alice, 'all', { q: 'csv' })).toEqual({
      activeCount: 2,
      completedCount: 0,
      failedCount: 0,
      total: 2,
    });
    expect(await countFilteredTasks(f.db, f.users.bob, 'all', { q: 'csv' })).toEqual({
      activeCount: 3,
      completedCount: 0,
      failedCount: 0,
      total: 3,
    });
    expect(await countFilteredTasks(f.db, f.users.alice, 'mine', { q: 'csv' })).toEqual({
      activeCount: 1,
      completedCount: 0,
      failedCount: 0,
      total: 1,
    });
    expect(await countFilteredTasks(f.db, f.users.alice, 'all', { status: ['failed'] })).toEqual({
      activeCount: 0,
      completedCount: 0,
      failedCount: 0,
      total: 0,
    });
  });

  it('refuses impossible dates and reversed ranges with a clear 400, before querying', async () => {
    await expect(search({ createdFrom: '2026-02-31' })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
      statusCode: 400,
      message: expect.stringContaining('createdFrom "2026-02-31" is not a real date'),
    });
    await expect(search({ updatedFrom: '2026-03-10', updatedTo: '2026-03-01' })).rejects.toBeInstanceOf(AppError);
  });

  it('agrees with the shared predicate the web app uses for live rows', async () => {
    const all = (await listTasks(f.db, f.users.alice, { limit: 200 })).tasks;
    const filters: TaskFilter[] = [
      { repo: 'acme/web' },
      { priority: 'urgent' },
      { status: ['received'], creator: f.users.bob.id },
      { createdFrom: '2026-03-01', createdTo: '2026-03-10' },
      { updatedFrom: '2026-03-05T08:00:00Z' },
    ];
    for (const filter of filters) {
      const fromServer = (await search(filter, { limit: 200 })).tasks.map((t) => t.id).sort();
      const fromPredicate = all
        .filter((t) => taskMatchesFilter(toDashboardTask(t), filter) === true)
        .map((t) => t.id)
        .sort();
      expect({ filter, ids: fromPredicate }).toEqual({ filter, ids: fromServer });
    }
  });
});

describe('EFFECTIVE_AGENT_SQL', () => {
  it("agrees with the contract's effectiveAgent for every choice, before and after the analysis", async () => {
    const seen: Array<[unknown, unknown]> = [];
    for (const preferredAgent of PREFERRED_AGENTS) {
      for (const recommendedAgent of [null, ...CODING_AGENTS]) {
        const { task } = await f.newTask(f.users.alice, { title: `agent ${preferredAgent}`, preferredAgent });
        await sql`update tasks set recommended_agent = ${recommendedAgent} where id = ${task.id}`.execute(f.db);
        const { rows } = await sql<{
          agent: string | null;
        }>`select ${EFFECTIVE_AGENT_SQL} as agent from tasks t where t.id = ${task.id}`.execute(f.db);
        seen.push([rows[0]!.agent, effectiveAgent({ preferredAgent, recommendedAgent })]);
      }
    }
    expect(seen).toHaveLength(16);
    for (const [fromSql, fromContract] of seen) expect(fromSql).toBe(fromContract);
  });
});
