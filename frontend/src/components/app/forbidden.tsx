import { ShieldX } from "lucide-react";
import Link from "next/link";

export function Forbidden({ what }: { what: string }) {
  return (
    <div className="mx-auto flex max-w-md flex-col items-center gap-3 px-6 py-24 text-center" data-testid="forbidden">
      <ShieldX className="size-10 text-muted-foreground" aria-hidden />
      <h1 className="text-xl font-semibold">You don&apos;t have access to {what}</h1>
      <p className="text-sm text-muted-foreground">Your role in this organisation doesn&apos;t allow it. An admin or the owner can change your role.</p>
      <Link href="/ask" className="text-sm font-medium text-primary underline-offset-4 hover:underline">
        Back to Ask
      </Link>
    </div>
  );
}
