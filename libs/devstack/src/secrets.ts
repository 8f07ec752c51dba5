import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LocalSecrets {
  pgPassword: string;
  jwtSecret: string;
  githubWebhookSecret: string;
  /** The private redis-server's `requirepass` (added later: an older secrets.json gains it). */
  redisPassword: string;
}

/** Secrets of the embedded stack, generated once and kept (mode 600) under the data directory. */
export function loadOrCreateSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  const existing: Partial<LocalSecrets> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const secrets: LocalSecrets = {
    pgPassword: existing.pgPassword ?? randomBytes(18).toString('base64url'),
    jwtSecret: existing.jwtSecret ?? randomBytes(48).toString('base64url'),
    githubWebhookSecret: existing.githubWebhookSecret ?? randomBytes(24).toString('base64url'),
    redisPassword: existing.redisPassword ?? randomBytes(18).toString('base64url'),
  };
  if (Object.entries(secrets).some(([k, v]) => existing[k as keyof LocalSecrets] !== v)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
