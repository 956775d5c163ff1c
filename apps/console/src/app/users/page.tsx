import type { Metadata } from 'next';
import { RequireRole } from '~/components/session';
import { UsersView } from '~/components/users/users-view';

export const metadata: Metadata = { title: 'Users' };

export default function UsersPage() {
  return (
    <RequireRole minimum="admin">
      <UsersView />
    </RequireRole>
  );
}
