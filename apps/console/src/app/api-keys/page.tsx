import type { Metadata } from 'next';
import { RequireRole } from '~/components/session';
import { ApiKeysView } from '~/components/api-keys/api-keys-view';

export const metadata: Metadata = { title: 'API keys' };

export default function ApiKeysPage() {
  return (
    <RequireRole minimum="admin">
      <ApiKeysView />
    </RequireRole>
  );
}
