// POST /api/upload-urls: a presigned PUT for a large file, which the browser sends straight to S3.
import { type NextRequest, NextResponse } from 'next/server';
import { callApi, type Presigned } from '../../../lib/api';
import { config } from '../../../lib/config';
import { MESSAGES } from '../../../lib/messages';
import { withUser } from '../../../lib/session';

export const dynamic = 'force-dynamic';

export async function POST(request: NextRequest): Promise<Response> {
  return withUser(request, config().origin, 'upload-url', async (user) => {
    const input = (await request.json().catch(() => null)) as { name?: unknown; size?: unknown; contentType?: unknown } | null;
    if (typeof input?.name !== 'string' || typeof input.size !== 'number' || typeof input.contentType !== 'string') {
      return NextResponse.json({ error: MESSAGES.unknown }, { status: 400 });
    }
    const body = JSON.stringify({ name: input.name, size: input.size, contentType: input.contentType });
    return (await callApi<Presigned>(user, 'POST', '/upload-urls', { body, contentType: 'application/json' }))!;
  });
}
