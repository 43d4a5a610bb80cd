// One file: GET a presigned download URL, PUT a small file's bytes (through the API), DELETE.
import { type NextRequest, NextResponse } from 'next/server';
import { callApi, filePath, type Presigned, SMALL_UPLOAD_MAX_BYTES } from '../../../../lib/api';
import { config } from '../../../../lib/config';
import { MESSAGES } from '../../../../lib/messages';
import { withUser } from '../../../../lib/session';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ name: string[] }> };
const nameOf = async (context: Context) => (await context.params).name.join('/');

export async function GET(request: NextRequest, context: Context): Promise<Response> {
  const name = await nameOf(context);
  return withUser(request, config().origin, 'download', async (user) => {
    const { url } = (await callApi<Pick<Presigned, 'url'>>(user, 'GET', filePath(name)))!;
    return { url };
  });
}

export async function PUT(request: NextRequest, context: Context): Promise<Response> {
  const name = await nameOf(context);
  return withUser(request, config().origin, 'upload', async (user) => {
    // Only small files pass through here (the page sends larger ones straight to S3): a body is
    // read into memory only when its announced size is within the API's limit.
    const length = Number(request.headers.get('content-length') ?? Number.NaN);
    if (!(length <= SMALL_UPLOAD_MAX_BYTES)) return NextResponse.json({ error: MESSAGES.tooLarge }, { status: 413 });
    const body = await request.arrayBuffer();
    if (body.byteLength > SMALL_UPLOAD_MAX_BYTES) return NextResponse.json({ error: MESSAGES.tooLarge }, { status: 413 });
    await callApi(user, 'PUT', filePath(name), { body, contentType: request.headers.get('content-type') || 'application/octet-stream' });
    return null;
  });
}

export async function DELETE(request: NextRequest, context: Context): Promise<Response> {
  const name = await nameOf(context);
  return withUser(request, config().origin, 'delete', async (user) => {
    await callApi(user, 'DELETE', filePath(name));
    return null;
  });
}
