// Console users (written by better-auth in apps/console; read here with an explicit select).
import type { Prisma, TDb } from '../client';

const USER_SELECT = {
  id: true,
  name: true,
  email: true,
  role: true,
  banned: true,
  createdBy: true,
  createdAt: true,
} as const satisfies Prisma.UserSelect;

export type TUserRow = Prisma.UserGetPayload<{ select: typeof USER_SELECT }>;

/** Oldest first: the first admin heads the list. */
export async function listUsers(db: TDb): Promise<TUserRow[]> {
  return db.user.findMany({ select: USER_SELECT, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

export async function countUsers(db: TDb): Promise<number> {
  return db.user.count();
}
