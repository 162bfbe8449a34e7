// Switches organisation: exchanges the session for one in another of the user's organisations.
import { NextResponse, type NextRequest } from "next/server";
import type { TokenResponse } from "@/lib/api/types";
import { apiUrl, cookieOptions, SESSION_COOKIE } from "@/lib/server/upstream";

export const dynamic = "force-dynamic";

export async function POST(req: NextRequest) {
  const token = req.cookies.get(SESSION_COOKIE)?.value;
  const upstream = await fetch(`${apiUrl()}/v1/auth/switch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token ?? ""}` },
    body: await req.text(),
    cache: "no-store",
  }).catch(() => null);
  if (!upstream) {
    return NextResponse.json(
      { error: { code: "service_unavailable", message: "the Kurobe API did not answer", request_id: null } },
      { status: 502 },
    );
  }
  if (!upstream.ok) {
    return new NextResponse(upstream.body, { status: upstream.status, headers: { "content-type": "application/json" } });
  }
  const next = (await upstream.json()) as TokenResponse;
  const res = NextResponse.json({ organisation: next.organisation, role: next.role, expires_at: next.expires_at });
  res.cookies.set(SESSION_COOKIE, next.access_token, cookieOptions(req, next.expires_in));
  return res;
}
