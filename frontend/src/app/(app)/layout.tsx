import { headers } from "next/headers";
import { requireMe } from "@/lib/server/me";
import { MeProvider } from "@/lib/me";
import { AppShell } from "@/components/app/shell";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const path = (await headers()).get("x-kurobe-path") ?? "/ask";
  const me = await requireMe(path);
  return (
    <MeProvider initial={me}>
      <AppShell>{children}</AppShell>
    </MeProvider>
  );
}
