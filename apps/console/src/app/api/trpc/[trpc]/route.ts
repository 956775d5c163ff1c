import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '~/server/api/root';
import { createRequestContext } from '~/server/api/trpc';
import { getAuth } from '~/server/auth/auth';
import { checkMutationOrigin } from '~/server/auth/request-guard';

export const dynamic = 'force-dynamic';

async function handler(req: Request) {
  // tRPC answers mutations on POST only; a POST must come from a trusted origin (CSRF).
  const refused = await checkMutationOrigin(getAuth(), req);
  if (refused) return refused;
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: () => createRequestContext({ headers: req.headers }),
    onError({ path, error }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        console.error(`tRPC ${path ?? '?'}:`, error.cause ?? error);
    },
  });
}

export { handler as GET, handler as POST };
