// GET /api/files: every one of the user's files (the API's GET /files, all pages).
import type { NextRequest } from 'next/server';
import { listFiles } from '../../../lib/api';
import { config } from '../../../lib/config';
import { withUser } from '../../../lib/session';

export const dynamic = 'force-dynamic';

export async function GET(request: NextRequest): Promise<Response> {
  return withUser(request, config().origin, 'list', async (user) => ({ files: await listFiles(user) }));
}
