import "server-only";
import { redirect } from "next/navigation";
import type { MeResponse, Permission } from "@/lib/api/types";
import { upstreamJson } from "./upstream";

/** The signed-in caller, or a redirect to the sign-in page. */
export async function requireMe(next = "/"): Promise<MeResponse> {
  const { status, body } = await upstreamJson<MeResponse>("/v1/auth/me");
  if (status === 401 || (!body && status < 500)) redirect(`/login?next=${encodeURIComponent(next)}`);
  if (!body) throw new Error("Kurobe's API is not reachable");
  return body;
}

export function can(me: Pick<MeResponse, "permissions"> | undefined, p: Permission): boolean {
  return !!me?.permissions.includes(p);
}
