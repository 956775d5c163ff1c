import type { TCliEnv } from '../env';
import type { TModelCard } from '../model-card';

/** Placeholder until the store lands: replaced in the store commit. */
export async function registerFromCli(_: { env: TCliEnv; onnx: Uint8Array; card: TModelCard; promote: boolean }): Promise<void> {
  await Promise.resolve();
  throw new Error('--register is not available yet');
}
