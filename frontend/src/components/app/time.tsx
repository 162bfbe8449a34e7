"use client";
import { absoluteTime, relativeTime } from "@/lib/format";

export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="text-muted-foreground">—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)} className="whitespace-nowrap" suppressHydrationWarning>
      {relativeTime(iso)}
    </time>
  );
}
