"use client";
import { useState } from "react";
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, ArrowRight, ExternalLink, LayoutDashboard, Pin, PinOff, Plus, RefreshCw } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { EmptyState, PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { ChartView } from "@/components/ask/chart-view";
import { ResultTable } from "@/components/ask/result-table";
import { api } from "@/lib/api/client";
import type { QueryResponse, SavedQuestion } from "@/lib/api/types";
import { formatAge } from "@/lib/format";
import { useSaved } from "@/lib/hooks/queries";
import { useCan } from "@/lib/me";
import { usePins } from "@/lib/pins";

export function DashboardPage() {
  const saved = useSaved();
  const pins = usePins();
  const canRun = useCan("queries:run");
  const qc = useQueryClient();
  const byId = new Map((saved.data ?? []).map((s) => [s.id, s]));
  const tiles = pins.pins.map((id) => byId.get(id)).filter((s): s is SavedQuestion => !!s);
  const unpinned = (saved.data ?? []).filter((s) => !pins.isPinned(s.id));

  return (
    <div>
      <PageHeader
        title="Dashboard"
        description="Saved questions pinned as tiles, each run live (through the result cache)."
        actions={
          <>
            {tiles.length > 0 && (
              <Button variant="outline" onClick={() => qc.invalidateQueries({ queryKey: ["tile"] })}>
                <RefreshCw /> Refresh all
              </Button>
            )}
            <AddTile candidates={unpinned} onPin={pins.toggle} />
          </>
        }
      />
      <div className="px-6 py-4">
        {saved.error ? (
          <ErrorNotice error={saved.error} />
        ) : saved.isLoading ? (
          <div className="grid gap-4 lg:grid-cols-2">
            {[0, 1].map((i) => (
              <Skeleton key={i} className="h-80" />
            ))}
          </div>
        ) : tiles.length === 0 ? (
          <EmptyState
            icon={LayoutDashboard}
            title="Nothing pinned yet"
            action={
              <Button asChild variant="outline">
                <Link href="/saved">Go to saved questions</Link>
              </Button>
            }
          >
            Pin saved questions here to watch them side by side.
          </EmptyState>
        ) : (
          <ul className="grid gap-4 lg:grid-cols-2" data-testid="tiles">
            {tiles.map((s, i) => (
              <li key={s.id}>
                <Tile saved={s} canRun={canRun} first={i === 0} last={i === tiles.length - 1} onUnpin={() => pins.remove(s.id)} onMove={(by) => pins.move(s.id, by)} />
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function AddTile({ candidates, onPin }: { candidates: SavedQuestion[]; onPin: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <Plus /> Add tile
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Pin a saved question</DialogTitle>
          <DialogDescription>Its chart appears on the dashboard and runs whenever the dashboard opens.</DialogDescription>
        </DialogHeader>
        {candidates.length === 0 ? (
          <p className="text-sm text-muted-foreground">Every saved question is pinned already. Save more from the Ask page.</p>
        ) : (
          <ul className="grid max-h-80 gap-1 overflow-y-auto">
            {candidates.map((s) => (
              <li key={s.id}>
                <button
                  type="button"
                  className="flex w-full items-center gap-2 rounded-md px-2 py-2 text-left text-sm hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                  onClick={() => {
                    onPin(s.id);
                    setOpen(false);
                  }}
                >
                  <Pin className="size-4 text-muted-foreground" aria-hidden /> {s.name}
                </button>
              </li>
            ))}
          </ul>
        )}
      </DialogContent>
    </Dialog>
  );
}

function Tile({
  saved,
  canRun,
  first,
  last,
  onUnpin,
  onMove,
}: {
  saved: SavedQuestion;
  canRun: boolean;
  first: boolean;
  last: boolean;
  onUnpin: () => void;
  onMove: (by: -1 | 1) => void;
}) {
  const result = useQuery({
    queryKey: ["tile", saved.id, saved.sql],
    queryFn: () => api<QueryResponse>("/sql", { method: "POST", json: { datasource_id: saved.datasource_id, sql: saved.sql } }),
    enabled: canRun,
    staleTime: 60_000,
  });
  const a = result.data;
  return (
    <Card className="flex h-full flex-col" data-testid="tile">
      <CardHeader className="flex-row items-start justify-between gap-2">
        <div className="min-w-0">
          <CardTitle className="truncate">{saved.name}</CardTitle>
          {a && (
            <p className="mt-1 flex items-center gap-1.5 text-xs text-muted-foreground">
              {a.row_count.toLocaleString("en-US")} rows
              {a.cache.hit && <Badge variant="success">cached {formatAge(a.cache.age_seconds)}</Badge>}
            </p>
          )}
        </div>
        <div className="flex shrink-0 items-center">
          <Button variant="ghost" size="icon-sm" aria-label="Move left" onClick={() => onMove(-1)} disabled={first}>
            <ArrowLeft />
          </Button>
          <Button variant="ghost" size="icon-sm" aria-label="Move right" onClick={() => onMove(1)} disabled={last}>
            <ArrowRight />
          </Button>
          <Button variant="ghost" size="icon-sm" aria-label={`Refresh ${saved.name}`} onClick={() => result.refetch()} disabled={!canRun || result.isFetching}>
            <RefreshCw className={result.isFetching ? "animate-spin" : undefined} />
          </Button>
          {canRun && (
            <Button variant="ghost" size="icon-sm" asChild>
              <Link href={`/ask?saved=${saved.id}`} aria-label={`Open ${saved.name} in Ask`}>
                <ExternalLink />
              </Link>
            </Button>
          )}
          <Button variant="ghost" size="icon-sm" aria-label={`Unpin ${saved.name}`} onClick={onUnpin}>
            <PinOff />
          </Button>
        </div>
      </CardHeader>
      <CardContent className="flex-1">
        {!canRun ? (
          <p className="py-10 text-center text-sm text-muted-foreground">Your role can&apos;t run queries, so tiles can&apos;t refresh.</p>
        ) : result.error ? (
          <ErrorNotice error={result.error} />
        ) : !a ? (
          <Skeleton className="h-64" />
        ) : a.chart.kind === "table" ? (
          <ResultTable columns={a.columns} rows={a.rows} pageSize={10} />
        ) : (
          <ChartView spec={a.chart} columns={a.columns} rows={a.rows} height={260} compact />
        )}
      </CardContent>
    </Card>
  );
}
