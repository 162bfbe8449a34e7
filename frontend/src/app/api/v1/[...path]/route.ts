// The same-origin proxy to the Kurobe API: the browser never holds the session token; this
// handler reads it from the httpOnly cookie and forwards the request, streaming the answer
// back (server-sent events included).
import { NextResponse, type NextRequest } from "next/server";
import { apiUrl, SESSION_COOKIE } from "@/lib/server/upstream";

export const dynamic = "force-dynamic";

const FORWARD_REQUEST = ["accept", "content-type", "user-agent", "accept-language"];
const FORWARD_RESPONSE = ["content-type", "content-disposition", "cache-control", "x-request-id", "retry-after"];

async function proxy(req: NextRequest, ctx: { params: Promise<{ path: string[] }> }) {
  const { path } = await ctx.params;
  const target = `${apiUrl()}/v1/${path.map(encodeURIComponent).join("/")}${req.nextUrl.search}`;
  const headers = new Headers();
  for (const h of FORWARD_REQUEST) {
    const v = req.headers.get(h);
    if (v) headers.set(h, v);
  }
  const token = req.cookies.get(SESSION_COOKIE)?.value;
  if (token) headers.set("authorization", `Bearer ${token}`);
  const forwardedFor = req.headers.get("x-forwarded-for");
  if (forwardedFor) headers.set("x-forwarded-for", forwardedFor);

  const hasBody = !["GET", "HEAD"].includes(req.method);
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers,
      body: hasBody ? await req.arrayBuffer() : undefined,
      cache: "no-store",
      redirect: "manual",
      signal: req.signal,
    });
  } catch {
    return NextResponse.json(
      { error: { code: "service_unavailable", message: "the Kurobe API did not answer", request_id: null } },
      { status: 502 },
    );
  }

  const out = new Headers();
  for (const h of FORWARD_RESPONSE) {
    const v = upstream.headers.get(h);
    if (v) out.set(h, v);
  }
  if (out.get("content-type")?.startsWith("text/event-stream")) {
    out.set("cache-control", "no-cache, no-transform");
    out.set("x-accel-buffering", "no");
  }
  const res = new NextResponse(upstream.status === 204 ? null : upstream.body, { status: upstream.status, headers: out });
  // A session the API no longer accepts is dropped, so the next page load signs in again.
  if (upstream.status === 401 && token) res.cookies.delete(SESSION_COOKIE);
  return res;
}

export { proxy as GET, proxy as POST, proxy as PUT, proxy as PATCH, proxy as DELETE };
