import "server-only";
import { headers } from "next/headers";
import type { Permission } from "@/lib/api/types";
import { Forbidden } from "@/components/app/forbidden";
import { requireMe } from "./me";

/** Renders the page only for a caller whose role grants the permission. */
export async function Guarded({ needs, what, children }: { needs: Permission; what: string; children: React.ReactNode }) {
  const me = await requireMe((await headers()).get("x-kurobe-path") ?? "/");
  if (!me.permissions.includes(needs)) return <Forbidden what={what} />;
  return <>{children}</>;
}
