import "server-only";
import { cookies } from "next/headers";

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
