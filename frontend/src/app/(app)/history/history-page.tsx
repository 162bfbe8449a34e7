"use client";
import { useState } from "react";
import Link from "next/link";
import { useInfiniteQuery } from "@tanstack/react-query";
import { History, Loader2, Play, Search } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Checkbox } from "@/components/ui/checkbox";
import { Label } from "@/components/ui/label";
import { EmptyState, PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Time } from "@/components/app/time";
import { api } from "@/lib/api/client";
import type { QueryPage, QueryRecord } from "@/lib/api/types";
import { formatMs } from "@/lib/format";
import { useDataSources } from "@/lib/hooks/queries";
import { useDebounced } from "@/lib/hooks/use-debounced";
import { useCan, useMe } from "@/lib/me";

const STATUS_VARIANT: Record<string, "success" | "destructive" | "warning" | "secondary"> = {
  succeeded: "success",
  failed: "destructive",
  refused: "warning",
};

export function HistoryPage() {
  const me = useMe();
  const canRun = useCan("queries:run");
  const sources = useDataSources();
  const [q, setQ] = useState("");
  const [status, setStatus] = useState("all");
  const [ds, setDs] = useState("all");
  const [mine, setMine] = useState(false);
  const search = useDebounced(q.trim());
  const filters = { q: search, status, ds, mine };

  const history = useInfiniteQuery({
    queryKey: ["queries", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<QueryPage>("/queries", {
        query: {
          q: search || undefined,
          status: status === "all" ? undefined : status,
          datasource_id: ds === "all" ? undefined : ds,
          user_id: mine ? me.user.id : undefined,
          before: pageParam,
          limit: 50,
        },
      }),
    getNextPageParam: (last) => last.next_before ?? undefined,
  });
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];
  const names = new Map((sources.data ?? []).map((s) => [s.id, s.name]));

  return (
    <div>
      <PageHeader title="History" description="Every question and query in this organisation, newest first." />
      <div className="flex flex-col gap-4 px-6 py-4">
        <div className="flex flex-wrap items-center gap-2" role="search">
          <div className="relative min-w-64 flex-1">
            <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-muted-foreground" aria-hidden />
            <Input
              value={q}
              onChange={(e) => setQ(e.target.value)}
              placeholder="Search questions and SQL"
              aria-label="Search questions and SQL"
              className="pl-8"
            />
          </div>
          <Select value={status} onValueChange={setStatus}>
            <SelectTrigger className="w-40" aria-label="Status">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="all">Any status</SelectItem>
              <SelectItem value="succeeded">Succeeded</SelectItem>
              <SelectItem value="failed">Failed</SelectItem>
              <SelectItem value="refused">Refused</SelectItem>
            </SelectContent>
          </Select>
          <Select value={ds} onValueChange={setDs}>
            <SelectTrigger className="w-56" aria-label="Data source">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="all">Every data source</SelectItem>
              {(sources.data ?? []).map((s) => (
                <SelectItem key={s.id} value={s.id}>
                  {s.name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <div className="flex items-center gap-2 px-1">
            <Checkbox id="mine" checked={mine} onCheckedChange={(v) => setMine(v === true)} />
            <Label htmlFor="mine">Only mine</Label>
          </div>
        </div>

        {history.error ? (
          <ErrorNotice error={history.error} />
        ) : history.isLoading ? (
          <div className="grid gap-2">
            {Array.from({ length: 8 }, (_, i) => (
              <Skeleton key={i} className="h-11" />
            ))}
          </div>
        ) : items.length === 0 ? (
          <EmptyState icon={History} title={search || status !== "all" || ds !== "all" || mine ? "Nothing matches these filters" : "No questions yet"}>
            {search || status !== "all" || ds !== "all" || mine ? "Try other words or fewer filters." : "Questions asked on the Ask page appear here."}
          </EmptyState>
        ) : (
          <div className="rounded-md border">
            <Table data-testid="history-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead className="w-28">When</TableHead>
                  <TableHead>Question or SQL</TableHead>
                  <TableHead className="w-28">Status</TableHead>
                  <TableHead className="w-20 text-right">Rows</TableHead>
                  <TableHead className="w-24 text-right">Time</TableHead>
                  <TableHead className="w-24">
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((r) => (
                  <HistoryRow key={r.id} r={r} source={r.datasource_id ? names.get(r.datasource_id) : undefined} canRun={canRun} />
                ))}
              </TableBody>
            </Table>
          </div>
        )}
        {history.hasNextPage && (
          <Button variant="outline" className="self-center" onClick={() => history.fetchNextPage()} disabled={history.isFetchingNextPage}>
            {history.isFetchingNextPage && <Loader2 className="animate-spin" />} Load older
          </Button>
        )}
      </div>
    </div>
  );
}

function HistoryRow({ r, source, canRun }: { r: QueryRecord; source?: string; canRun: boolean }) {
  const title = r.question ?? "Edited SQL";
  return (
    <TableRow data-testid="history-row">
      <TableCell className="text-muted-foreground">
        <Time iso={r.created_at} />
      </TableCell>
      <TableCell className="max-w-0">
        <p className="truncate font-medium" title={title}>
          {title}
        </p>
        <p className="truncate font-mono text-xs text-muted-foreground" title={r.sql ?? undefined}>
          {source && <span className="mr-2 font-sans">{source} ·</span>}
          {r.sql ?? r.error_code ?? "—"}
        </p>
      </TableCell>
      <TableCell>
        <Badge variant={STATUS_VARIANT[r.status] ?? "secondary"}>{r.status}</Badge>
        {r.error_code && <p className="mt-0.5 truncate text-xs text-muted-foreground">{r.error_code}</p>}
      </TableCell>
      <TableCell className="tabular text-right">{r.row_count?.toLocaleString("en-US") ?? "—"}</TableCell>
      <TableCell className="tabular text-right text-muted-foreground">{formatMs(r.duration_ms)}</TableCell>
      <TableCell className="text-right">
        {canRun && (r.sql || r.question) && (
          <Button variant="ghost" size="sm" asChild>
            <Link href={`/ask?${new URLSearchParams({ rerun: r.id, title })}`} aria-label={`Re-run: ${title}`}>
              <Play /> Re-run
            </Link>
          </Button>
        )}
      </TableCell>
    </TableRow>
  );
}
