import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Webhooks find a task by its issue or PR number in a repository compared case-insensitively (as org_repos
    -- compares owners); the (repo, …) indexes of 0001 cannot serve lower(repo), so these replace them.
    CREATE INDEX tasks_repo_lower_issue_idx ON tasks (lower(repo), github_issue_number) WHERE github_issue_number IS NOT NULL;
    CREATE INDEX tasks_repo_lower_pr_idx ON tasks (lower(repo), pr_number) WHERE pr_number IS NOT NULL;
    DROP INDEX tasks_repo_issue_idx;
    DROP INDEX tasks_repo_pr_idx;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX tasks_repo_issue_idx ON tasks (repo, github_issue_number) WHERE github_issue_number IS NOT NULL;
    CREATE INDEX tasks_repo_pr_idx ON tasks (repo, pr_number) WHERE pr_number IS NOT NULL;
    DROP INDEX tasks_repo_lower_issue_idx;
    DROP INDEX tasks_repo_lower_pr_idx;
  `.execute(db);
}
