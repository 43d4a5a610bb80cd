// The page: who is signed in comes from the session cookie (on the server); everything else is
// done by the client component through this app's /api routes.
import { getServerSession } from 'next-auth';
import { SMALL_UPLOAD_MAX_BYTES } from '../lib/api';
import { authOptions, type PublicSession } from '../lib/auth';
import { logoutUrl } from '../lib/config';
import { MESSAGES } from '../lib/messages';
import { Files } from './files';

export const dynamic = 'force-dynamic';

export default async function Home({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // No refresh here: a page cannot write the refreshed cookie back; the /api routes refresh.
  const session = (await getServerSession(authOptions({ refresh: false }))) as PublicSession | null;
  const username = session && session.error !== 'SessionEnded' ? session.user?.name ?? null : null;
  // Auth.js sends failed sign-ins back here with ?error=<code> (the code is not shown).
  const signInError = (await searchParams).error ? MESSAGES.signInFailed : undefined;
  return (
    <main>
      <h1>My files</h1>
      <Files username={username} logoutUrl={logoutUrl()} initialError={signInError} smallUploadMaxBytes={SMALL_UPLOAD_MAX_BYTES} />
    </main>
  );
}
