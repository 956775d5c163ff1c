import { createTRPCRouter, publicProcedure } from '../trpc';

export const authRouter = createTRPCRouter({
  /** The signed-in user (id, email, name, role), or null: the one procedure open to everyone. */
  me: publicProcedure.query(({ ctx }) => ctx.user),
});
