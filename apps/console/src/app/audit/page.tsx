import type { Metadata } from 'next';
import { AuditView } from '~/components/audit/audit-view';
import { RequireRole } from '~/components/session';

export const metadata: Metadata = { title: 'Audit log' };

export default function AuditPage() {
  return (
    <RequireRole minimum="admin">
      <AuditView />
    </RequireRole>
  );
}
