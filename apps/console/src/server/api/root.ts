import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { apiKeysRouter } from './routers/api-keys';
import { auditRouter } from './routers/audit';
import { deliveriesRouter } from './routers/deliveries';
import { authRouter } from './routers/auth';
import { historyRouter } from './routers/history';
import { modelsRouter } from './routers/models';
import { monitoringRouter } from './routers/monitoring';
import { overviewRouter } from './routers/overview';
import { predictionsRouter } from './routers/predictions';
import { runsRouter } from './routers/runs';
import { trainingRouter } from './routers/training';
import { usersRouter } from './routers/users';
import { createCallerFactory, createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  overview: overviewRouter,
  runs: runsRouter,
  predictions: predictionsRouter,
  history: historyRouter,
  models: modelsRouter,
  training: trainingRouter,
  monitoring: monitoringRouter,
  apiKeys: apiKeysRouter,
  users: usersRouter,
  audit: auditRouter,
  deliveries: deliveriesRouter,
  auth: authRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Server-side caller, for tests and Server Components: `createCaller(createContextInner(...))`. */
export const createCaller = createCallerFactory(appRouter);
