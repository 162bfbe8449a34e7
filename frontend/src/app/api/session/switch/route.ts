// Switches organisation: exchanges the session for one in another of the user's organisations.
import type { NextRequest } from "next/server";
import { exchangeForSession, SESSION_COOKIE } from "@/lib/server/upstream";

export const dynamic = "force-dynamic";

export function POST(req: NextRequest) {
  const token = req.cookies.get(SESSION_COOKIE)?.value ?? "";
  return exchangeForSession(req, "/v1/auth/switch", { authorization: `Bearer ${token}` });
}
