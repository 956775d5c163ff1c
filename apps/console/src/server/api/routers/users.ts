import { z } from 'zod';
import { listUsers } from '@tripcast/db/queries/users';
import { TRPCError } from '@trpc/server';
import {
  changeOwnPassword,
  createConsoleUser,
  generatePassword,
  resetConsoleUserPassword,
  setConsoleUserDisabled,
  setConsoleUserRole,
  UserChangeRefusedError,
  UserExistsError,
} from '../../auth/users';
import { ROLES } from '../../auth/roles';
import { adminProcedure, badRequest, createTRPCRouter, viewerProcedure, type TContext } from '../trpc';

const ZUserId = z.string().min(1).max(200).describe('The user (users.list id)');

/** The acting user's request headers: better-auth checks their session on its own endpoints. */
function userAdminContext(ctx: TContext) {
  if (!ctx.headers) throw new Error('user management needs the request headers (session cookie)');
  return { auth: ctx.getAuth(), db: ctx.db, headers: ctx.headers };
}

/** Refusals a user can act on become 400s (429 for the password throttle), with their message. */
async function asUserError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UserChangeRefusedError) badRequest(error.message);
    const apiError = error as { name?: string; status?: string; body?: { message?: string } };
    if (apiError.name === 'APIError') {
      const message = apiError.body?.message ?? 'Refused';
      if (apiError.status === 'TOO_MANY_REQUESTS') throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message });
      if (apiError.status === 'BAD_REQUEST') badRequest(message);
    }
    throw error;
  }
}

const ZPassword = z.string().min(12, 'At least 12 characters').max(128);

export const ZCreateUserInput = z.object({
  email: z.email({ error: 'Enter an email address' }).describe('Signs in with this email'),
  name: z.string().trim().min(1, 'Enter a name').max(100).describe('Shown in the console'),
  role: z.enum(ROLES).describe('viewer, analyst or admin'),
  /** Empty: a random password is generated and shown once. */
  password: ZPassword.optional()
    .describe('At least 12 characters; leave empty to generate one'),
});

export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listUsers(ctx.db)),

  /** Returns the password once (the generated one when none was given). */
  create: adminProcedure.input(ZCreateUserInput).mutation(async ({ ctx, input }) => {
    const password = input.password ?? generatePassword();
    try {
      const user = await createConsoleUser(
        { auth: ctx.getAuth(), db: ctx.db },
        { email: input.email, name: input.name, role: input.role, password, actor: ctx.actor },
      );
      return { user, password };
    } catch (error) {
      if (error instanceof UserExistsError) badRequest(error.message);
      throw error;
    }
  }),

  setRole: adminProcedure
    .input(z.object({ userId: ZUserId, role: z.enum(ROLES).describe('viewer, analyst or admin') }))
    .mutation(({ ctx, input }) =>
      asUserError(() =>
        setConsoleUserRole(userAdminContext(ctx), { ...input, actorId: ctx.user.id, actor: ctx.actor }),
      ),
    ),

  setDisabled: adminProcedure
    .input(z.object({ userId: ZUserId, isDisabled: z.boolean().describe('true: no sign-in, sessions revoked') }))
    .mutation(({ ctx, input }) =>
      asUserError(() =>
        setConsoleUserDisabled(userAdminContext(ctx), { ...input, actorId: ctx.user.id, actor: ctx.actor }),
      ),
    ),

  /** Returns the new password once. */
  resetPassword: adminProcedure
    .input(z.object({ userId: ZUserId }))
    .mutation(({ ctx, input }) =>
      asUserError(() =>
        resetConsoleUserPassword(userAdminContext(ctx), { ...input, actorId: ctx.user.id, actor: ctx.actor }),
      ),
    ),

  /** Anyone signed in, for themself; signs them out everywhere afterwards. */
  changeOwnPassword: viewerProcedure
    .input(
      z.object({
        currentPassword: z.string().min(1, 'Enter your current password').max(128),
        newPassword: ZPassword.describe('At least 12 characters'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.newPassword === input.currentPassword)
        badRequest('The new password must differ from the current one');
      await asUserError(() =>
        changeOwnPassword(userAdminContext(ctx), { ...input, userId: ctx.user.id, actor: ctx.actor }),
      );
      return { isSignedOut: true };
    }),
});
