import { toNextJsHandler } from 'better-auth/next-js';
import { getAuth } from '~/server/auth/auth';

export const dynamic = 'force-dynamic';

// better-auth's handler as is: Origin, body type and the password throttle are checked inside it
// (credential-guard.ts), after its router has parsed the request. Created on the first request,
// not at import: `next build` loads this module without a database.
let handlers: ReturnType<typeof toNextJsHandler> | undefined;
const getHandlers = () => (handlers ??= toNextJsHandler(getAuth()));

export const GET = (req: Request) => getHandlers().GET(req);
export const POST = (req: Request) => getHandlers().POST(req);
