// Sign in and out: the API's access token goes into an httpOnly cookie, never to scripts.
import { NextResponse, type NextRequest } from "next/server";
import { exchangeForSession, SESSION_COOKIE } from "@/lib/server/upstream";

export const dynamic = "force-dynamic";

export function POST(req: NextRequest) {
  return exchangeForSession(req, "/v1/auth/login", {});
}

export async function DELETE() {
  const res = new NextResponse(null, { status: 204 });
  res.cookies.delete(SESSION_COOKIE);
  return res;
}
