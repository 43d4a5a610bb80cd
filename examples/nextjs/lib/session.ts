// Route handlers' access to the session: Auth.js decrypts the cookie and runs the jwt callback
// (which refreshes the tokens when due); the refreshed cookie is written back on our response.
// (In the App Router, Auth.js v4's getServerSession() alone cannot set cookies.)
import 'server-only';
import { getServerSession } from 'next-auth';
import { type NextRequest, NextResponse } from 'next/server';
import { authOptions, type SessionTokens } from './auth';
import { CallError, toCallError } from './errors';
import { type Failure, MESSAGES } from './messages';

/** The signed-in user's tokens, and the Set-Cookie lines to send back. */
async function sessionOf(request: NextRequest): Promise<{ tokens?: SessionTokens; setCookies: string[] }> {
  let tokens: SessionTokens | undefined;
  const headers = new Map<string, string | string[]>();
  const req = {
    headers: Object.fromEntries(request.headers),
    cookies: Object.fromEntries(request.cookies.getAll().map((c) => [c.name, c.value])),
  };
  const res = {
    getHeader: (name: string) => headers.get(name),
    setHeader: (name: string, value: string | string[]) => headers.set(name, value),
  };
  // @ts-expect-error: the pages-router form of getServerSession, with a request and response shim
  await getServerSession(req, res, authOptions({ refresh: true, capture: (t) => (tokens = t) }));
  const setCookie = headers.get('Set-Cookie');
  return { tokens, setCookies: setCookie === undefined ? [] : ([] as string[]).concat(setCookie) };
}

/** A state-changing request must come from our own pages (the session cookie is SameSite=Lax;
 *  this refuses a cross-site form or fetch in older browsers and on shared parent sites too). */
function fromOurPages(request: NextRequest, origin: string): boolean {
  if (['GET', 'HEAD'].includes(request.method)) return true;
  const from = request.headers.get('origin');
  return request.headers.get('sec-fetch-site') !== 'cross-site' && (from === null || from === origin);
}

export interface SignedIn {
  readonly sub: string;
  readonly idToken: string;
}

/** Run `work` for the signed-in user; its result (or failure) as JSON, with the session cookie. */
export async function withUser(request: NextRequest, origin: string, where: string,
  work: (user: SignedIn) => Promise<Response | object | null>): Promise<Response> {
  if (!fromOurPages(request, origin)) return json(403, { error: MESSAGES.denied });
  const { tokens, setCookies } = await sessionOf(request);
  let response: Response;
  if (!tokens) {
    response = json(401, { error: MESSAGES.signedOut, signOut: true });
  } else if (tokens.error === 'SessionEnded' || !tokens.idToken) {
    response = json(401, { error: MESSAGES.expired, signOut: true });
  } else {
    try {
      const result = await work({ sub: tokens.sub, idToken: tokens.idToken });
      response = result instanceof Response ? result : result === null ? new NextResponse(null, { status: 204 }) : json(200, result);
    } catch (error) {
      const failure: CallError = toCallError(error, where);
      response = json(failure.status, failure.failure);
    }
  }
  for (const line of setCookies) response.headers.append('Set-Cookie', line);
  response.headers.set('Cache-Control', 'no-store');
  return response;
}

function json(status: number, body: object | Failure): Response {
  return NextResponse.json(body, { status });
}
