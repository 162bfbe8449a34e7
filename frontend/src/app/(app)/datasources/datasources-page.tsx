"use client";
import Link from "next/link";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Database, Loader2, Plug, Plus, RefreshCw } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EmptyState, PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Time } from "@/components/app/time";
import { describeConfig, HealthBadge } from "@/components/datasources/health";
import { api } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import type { ConnectionTest, DataSourceSchema } from "@/lib/api/types";
import { formatMs } from "@/lib/format";
import { useDataSources } from "@/lib/hooks/queries";
import { useCan } from "@/lib/me";

export function useSourceActions() {
  const qc = useQueryClient();
  const test = useMutation({
    mutationFn: (id: string) => api<ConnectionTest>(`/datasources/${id}/test`, { method: "POST" }),
    onSuccess: (r) => {
      if (r.ok) toast.success(`Connected in ${formatMs(r.latency_ms)}${r.version ? ` · ${r.version}` : ""}`);
      else toast.error(`Connection failed: ${r.error ?? "no answer"}`);
      void qc.invalidateQueries({ queryKey: ["datasources"] });
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const refresh = useMutation({
    mutationFn: (id: string) => api<DataSourceSchema>(`/datasources/${id}/refresh`, { method: "POST" }),
    onSuccess: (r) => {
      toast.success(`Schema refreshed: ${r.schema.tables.length} tables, generation ${r.generation}`);
      void qc.invalidateQueries({ queryKey: ["datasources"] });
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  return { test, refresh };
}

export function DataSourcesPage() {
  const sources = useDataSources();
  const canManage = useCan("datasources:manage");
  const { test, refresh } = useSourceActions();
  return (
    <div>
      <PageHeader
        title="Data sources"
        description="The warehouses this organisation asks questions of."
        actions={
          canManage && (
            <Button asChild>
              <Link href="/datasources/new">
                <Plus /> Add data source
              </Link>
            </Button>
          )
        }
      />
      <div className="px-6 py-4">
        {sources.error ? (
          <ErrorNotice error={sources.error} />
        ) : sources.isLoading ? (
          <div className="grid gap-2">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} className="h-14" />
            ))}
          </div>
        ) : !sources.data?.length ? (
          <EmptyState
            icon={Database}
            title="No data sources yet"
            action={
              canManage && (
                <Button asChild>
                  <Link href="/datasources/new">Add data source</Link>
                </Button>
              )
            }
          >
            Connect DuckDB, PostgreSQL or Trino to start asking questions.
          </EmptyState>
        ) : (
          <div className="rounded-md border">
            <Table>
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Name</TableHead>
                  <TableHead className="w-28">Health</TableHead>
                  <TableHead className="w-24 text-right">Tables</TableHead>
                  <TableHead className="w-36">Schema read</TableHead>
                  <TableHead className="w-64">
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {sources.data.map((s) => (
                  <TableRow key={s.id}>
                    <TableCell className="max-w-0">
                      <Link href={`/datasources/${s.id}`} className="font-medium hover:underline">
                        {s.name}
                      </Link>
                      <p className="truncate text-xs text-muted-foreground">{describeConfig(s.config)}</p>
                    </TableCell>
                    <TableCell>
                      <HealthBadge health={s.health} />
                    </TableCell>
                    <TableCell className="tabular text-right">{s.schema.tables || "—"}</TableCell>
                    <TableCell className="text-muted-foreground">
                      <Time iso={s.schema.refreshed_at} />
                    </TableCell>
                    <TableCell className="text-right">
                      <div className="flex justify-end gap-1">
                        <Button variant="ghost" size="sm" onClick={() => test.mutate(s.id)} disabled={test.isPending && test.variables === s.id}>
                          {test.isPending && test.variables === s.id ? <Loader2 className="animate-spin" /> : <Plug />} Test
                        </Button>
                        {canManage && (
                          <Button
                            variant="ghost"
                            size="sm"
                            onClick={() => refresh.mutate(s.id)}
                            disabled={refresh.isPending && refresh.variables === s.id}
                          >
                            <RefreshCw className={refresh.isPending && refresh.variables === s.id ? "animate-spin" : undefined} /> Refresh
                          </Button>
                        )}
                        <Button variant="outline" size="sm" asChild>
                          <Link href={`/datasources/${s.id}`}>Browse</Link>
                        </Button>
                      </div>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
        )}
      </div>
    </div>
  );
}
