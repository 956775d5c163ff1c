import { describe, expect, it } from 'vitest';

import { useMigratedTestDatabase } from '../testing';
import {
  acknowledgeAlert,
  AlertNotFoundError,
  listOpenAlerts,
  raiseAlert,
  type TRaiseAlertInput,
} from './alerts';
import { listAuditLog } from './audit';

describe('alerts', () => {
  const suite = useMigratedTestDatabase();
  const alert = (over: Partial<TRaiseAlertInput> = {}): TRaiseAlertInput => ({
    kind: 'drift',
    severity: 'watch',
    source: 'batch',
    scope: 'run-1',
    modelName: 'm',
    modelVersion: 'v1',
    message: 'pickup zone mix PSI 0.12 >= watch 0.1',
    ...over,
  });

  it('raises once per (kind, source, scope, version), stays acknowledged unless it gets worse, and audits the acknowledgement once', async () => {
    const first = await raiseAlert(suite.pool, alert());
    expect(first.isOpen).toBe(true);
    expect(await raiseAlert(suite.pool, alert({ message: 'again' }))).toEqual({
      id: first.id,
      isOpen: true,
    });
    expect((await listOpenAlerts(suite.db)).map((a) => a.message)).toEqual(['again']);

    const acked = await acknowledgeAlert(suite.db, {
      id: BigInt(first.id),
      actor: 'ana@example.com',
      note: 'known: new zones',
    });
    expect(acked.acknowledgedBy).toBe('ana@example.com');
    expect(await listOpenAlerts(suite.db)).toEqual([]);
    // Acknowledging again changes nothing and is not audited twice.
    await acknowledgeAlert(suite.db, { id: BigInt(first.id), actor: 'bob@example.com' });
    const audit = await listAuditLog(suite.db, { limit: 10, targetType: 'alert' });
    expect(audit.items.map((a) => [a.action, a.actor, a.targetId])).toEqual([
      ['alert.acknowledge', 'ana@example.com', first.id],
    ]);
    expect(audit.items[0]!.details).toMatchObject({
      note: 'known: new zones',
      severity: 'watch',
      model: 'm@v1',
    });

    // Same severity again: still acknowledged. Worse (watch -> alert): open again.
    expect((await raiseAlert(suite.pool, alert())).isOpen).toBe(false);
    expect((await raiseAlert(suite.pool, alert({ severity: 'alert' }))).isOpen).toBe(true);
    expect((await listOpenAlerts(suite.db)).map((a) => a.severity)).toEqual(['alert']);

    await expect(acknowledgeAlert(suite.db, { id: 987654n, actor: 'x' })).rejects.toBeInstanceOf(
      AlertNotFoundError,
    );
  });
});
