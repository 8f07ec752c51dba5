import type { Page } from 'playwright-core';

/** Files a task through the page's "New task" form, as a user does; resolves with its id once the page shows it. */
export async function createThroughUi(page: Page, title: string, description: string): Promise<string> {
  await page.getByRole('button', { name: 'New task' }).click();
  const form = page.getByRole('form', { name: 'New task' });
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Description').fill(description);
  await form.getByRole('button', { name: 'Create task' }).click();
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop()!;
}
