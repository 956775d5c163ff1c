import { getAuth } from '~/server/auth/auth';
import { createAuthRouteHandlers } from '~/server/auth/auth-route';
import { createSignInThrottle } from '~/server/auth/sign-in-throttle';

export const dynamic = 'force-dynamic';

const throttle = createSignInThrottle();
let handlers: ReturnType<typeof createAuthRouteHandlers> | undefined;
// Created on the first request, not at import: `next build` loads this module without a database.
const getHandlers = () => (handlers ??= createAuthRouteHandlers(getAuth(), throttle));

export const GET = (req: Request) => getHandlers().GET(req);
export const POST = (req: Request) => getHandlers().POST(req);
