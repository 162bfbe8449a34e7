"use client";
import { useState } from "react";
import Link from "next/link";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Pin, PinOff, Play, Search, Star, Trash2 } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { EmptyState, PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Confirm } from "@/components/app/confirm";
import { Time } from "@/components/app/time";
import { api } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import { useDataSources, useSaved } from "@/lib/hooks/queries";
import { useCan } from "@/lib/me";
import { usePins } from "@/lib/pins";

export function SavedPage() {
  const saved = useSaved();
  const sources = useDataSources();
  const canRun = useCan("queries:run");
  const pins = usePins();
  const qc = useQueryClient();
  const [q, setQ] = useState("");
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/saved/${id}`, { method: "DELETE" }),
    onSuccess: (_, id) => {
      pins.remove(id);
      void qc.invalidateQueries({ queryKey: ["saved"] });
      toast.success("Saved question deleted");
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const names = new Map((sources.data ?? []).map((s) => [s.id, s.name]));
  const needle = q.trim().toLowerCase();
  const list = (saved.data ?? []).filter(
    (s) => !needle || s.name.toLowerCase().includes(needle) || (s.question ?? "").toLowerCase().includes(needle) || s.sql.toLowerCase().includes(needle),
  );

  return (
    <div>
      <PageHeader
        title="Saved questions"
        description="Questions kept with their SQL. Pin them to the dashboard to watch them at a glance."
        actions={
          <div className="relative w-72">
            <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-muted-foreground" aria-hidden />
            <Input value={q} onChange={(e) => setQ(e.target.value)} placeholder="Filter saved questions" aria-label="Filter saved questions" className="pl-8" />
          </div>
        }
      />
      <div className="px-6 py-4">
        {saved.error ? (
          <ErrorNotice error={saved.error} />
        ) : saved.isLoading ? (
          <div className="grid gap-3 md:grid-cols-2 xl:grid-cols-3">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} className="h-40" />
            ))}
          </div>
        ) : list.length === 0 ? (
          <EmptyState
            icon={Star}
            title={needle ? "No saved question matches" : "No saved questions yet"}
            action={
              !needle && canRun ? (
                <Button asChild>
                  <Link href="/ask">Ask a question</Link>
                </Button>
              ) : undefined
            }
          >
            {needle ? "Try other words." : "Ask a question, then press Save on its answer."}
          </EmptyState>
        ) : (
          <ul className="grid gap-3 md:grid-cols-2 xl:grid-cols-3" data-testid="saved-list">
            {list.map((s) => (
              <li key={s.id}>
                <Card className="flex h-full flex-col" data-testid="saved-item">
                  <CardHeader>
                    <CardTitle className="line-clamp-2">{s.name}</CardTitle>
                    <CardDescription>
                      {names.get(s.datasource_id) ?? "Unknown data source"} · saved <Time iso={s.created_at} />
                    </CardDescription>
                  </CardHeader>
                  <CardContent className="flex flex-1 flex-col gap-3">
                    {s.question && s.question !== s.name && <p className="text-sm text-muted-foreground">“{s.question}”</p>}
                    <pre className="line-clamp-3 whitespace-pre-wrap break-all rounded-md bg-muted/60 p-2 font-mono text-xs">{s.sql}</pre>
                    <div className="mt-auto flex flex-wrap items-center gap-1.5">
                      {canRun && (
                        <Button size="sm" asChild>
                          <Link href={`/ask?saved=${s.id}`}>
                            <Play /> Run
                          </Link>
                        </Button>
                      )}
                      <Button size="sm" variant="outline" onClick={() => pins.toggle(s.id)} aria-pressed={pins.isPinned(s.id)}>
                        {pins.isPinned(s.id) ? (
                          <>
                            <PinOff /> Unpin
                          </>
                        ) : (
                          <>
                            <Pin /> Pin to dashboard
                          </>
                        )}
                      </Button>
                      <Confirm
                        trigger={
                          <Button size="icon-sm" variant="ghost" aria-label={`Delete ${s.name}`} className="ml-auto">
                            <Trash2 />
                          </Button>
                        }
                        title="Delete this saved question?"
                        description={`“${s.name}” will be removed for everyone in the organisation.`}
                        action="Delete"
                        onConfirm={() => remove.mutateAsync(s.id)}
                      />
                    </div>
                  </CardContent>
                </Card>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
