// GET /api/read-file: the first line of the user's data.txt (the API's GET /read-file).
import type { NextRequest } from 'next/server';
import { callApi } from '../../../lib/api';
import { config } from '../../../lib/config';
import { withUser } from '../../../lib/session';

export const dynamic = 'force-dynamic';

export async function GET(request: NextRequest): Promise<Response> {
  return withUser(request, config().origin, 'read-file', async (user) => ({ data: (await callApi<string>(user, 'GET', '/read-file')) ?? '' }));
}
