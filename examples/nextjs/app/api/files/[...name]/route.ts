// One file: GET a presigned download URL, PUT a small file's bytes (through the API), DELETE.
import type { NextRequest } from 'next/server';
import { callApi, filePath, type Presigned } from '../../../../lib/api';
import { config } from '../../../../lib/config';
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
    const body = await request.arrayBuffer();
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
