// Sign in and out: the API's access token goes into an httpOnly cookie, never to scripts.
import { NextResponse, type NextRequest } from "next/server";
import type { TokenResponse } from "@/lib/api/types";
import { apiUrl, cookieOptions, SESSION_COOKIE } from "@/lib/server/upstream";

export const dynamic = "force-dynamic";

export async function POST(req: NextRequest) {
  let upstream: Response;
  try {
    upstream = await fetch(`${apiUrl()}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": req.headers.get("user-agent") ?? "kurobe-web" },
      body: await req.text(),
      cache: "no-store",
    });
  } catch {
    return NextResponse.json(
      { error: { code: "service_unavailable", message: "the Kurobe API did not answer", request_id: null } },
      { status: 502 },
    );
  }
  if (!upstream.ok) {
    return new NextResponse(upstream.body, { status: upstream.status, headers: { "content-type": "application/json" } });
  }
  const token = (await upstream.json()) as TokenResponse;
  const res = NextResponse.json({ organisation: token.organisation, role: token.role, expires_at: token.expires_at });
  res.cookies.set(SESSION_COOKIE, token.access_token, cookieOptions(req, token.expires_in));
  return res;
}

export async function DELETE() {
  const res = new NextResponse(null, { status: 204 });
  res.cookies.delete(SESSION_COOKIE);
  return res;
}
