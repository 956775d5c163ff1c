import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';

// getCliEnv parses process.env once per module instance: each case imports a fresh copy.
async function actorWith(env: Record<string, string | undefined>) {
  vi.resetModules();
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  const { getCliEnv } = await import('./env');
  return getCliEnv().actor;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('CLI actor', () => {
  it('is TRIPCAST_ACTOR when set', async () => {
    expect(await actorWith({ TRIPCAST_ACTOR: 'ci-bot', USER: 'someone' })).toBe('ci-bot');
  });

  it('is cli:$USER when only USER is set', async () => {
    expect(await actorWith({ TRIPCAST_ACTOR: undefined, USER: 'dana' })).toBe('cli:dana');
  });

  it('is the OS account, not "cli:unknown", when neither is set (a container shell has no $USER)', async () => {
    const actor = await actorWith({ TRIPCAST_ACTOR: undefined, USER: undefined });
    expect(actor).toBe(`cli:${os.userInfo().username}`);
    expect(actor).not.toBe('cli:unknown');
  });
});
