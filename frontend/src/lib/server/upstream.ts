import "server-only";
import { cookies } from "next/headers";
import { NextResponse } from "next/server";
import type { TokenResponse } from "@/lib/api/types";

export const SESSION_COOKIE = "kurobe_session";

/** Where the Kurobe API listens, read at request time so one build serves any deployment. */
export function apiUrl(): string {
  return (process.env.KUROBE_API_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
}

export async function sessionToken(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value;
}

export function cookieOptions(req: Request, maxAgeSeconds: number) {
  const proto = req.headers.get("x-forwarded-proto") ?? new URL(req.url).protocol.replace(":", "");
  return {
    httpOnly: true,
    sameSite: "lax" as const,
    secure: proto === "https",
    path: "/",
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  };
}

/** Calls the API from the server with the caller's session; null when there is none. */
export async function upstreamJson<T>(path: string): Promise<{ status: number; body: T | null }> {
  const token = await sessionToken();
  if (!token) return { status: 401, body: null };
  try {
    const res = await fetch(`${apiUrl()}${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      cache: "no-store",
    });
    if (!res.ok) return { status: res.status, body: null };
    return { status: res.status, body: (await res.json()) as T };
  } catch {
    return { status: 503, body: null };
  }
}

/**
 * Posts the request's body to an API route that answers with a TokenResponse, and turns the
 * token into the session cookie; the browser gets the organisation and role, never the token.
 */
export async function exchangeForSession(req: Request, route: string, headers: Record<string, string>): Promise<Response> {
  const upstream = await fetch(`${apiUrl()}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": req.headers.get("user-agent") ?? "kurobe-web", ...headers },
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
  const token = (await upstream.json()) as TokenResponse;
  const res = NextResponse.json({ organisation: token.organisation, role: token.role, expires_at: token.expires_at });
  res.cookies.set(SESSION_COOKIE, token.access_token, cookieOptions(req, token.expires_in));
  return res;
}
