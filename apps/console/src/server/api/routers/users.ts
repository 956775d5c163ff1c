import { z } from 'zod';
import { listUsers } from '@tripcast/db/queries/users';
import { createConsoleUser, generatePassword, UserExistsError } from '../../auth/users';
import { ROLES } from '../../auth/roles';
import { adminProcedure, badRequest, createTRPCRouter } from '../trpc';

export const ZCreateUserInput = z.object({
  email: z.email({ error: 'Enter an email address' }).describe('Signs in with this email'),
  name: z.string().trim().min(1, 'Enter a name').max(100).describe('Shown in the console'),
  role: z.enum(ROLES).describe('viewer, analyst or admin'),
  /** Empty: a random password is generated and shown once. */
  password: z
    .string()
    .min(12, 'At least 12 characters')
    .max(128)
    .optional()
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
});
