"use client";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, Loader2, Plug, RefreshCw, Sparkles, Trash2 } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Confirm } from "@/components/app/confirm";
import { Time } from "@/components/app/time";
import { DataSourceForm } from "@/components/datasources/datasource-form";
import { describeConfig, HealthBadge } from "@/components/datasources/health";
import { SchemaBrowser } from "@/components/datasources/schema-browser";
import { SemanticBrowser } from "@/components/datasources/semantic-browser";
import { api } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import type { CreateDataSourceRequest, DataSource, RowPolicies } from "@/lib/api/types";
import { keys, useSchema } from "@/lib/hooks/queries";
import { useCan } from "@/lib/me";
import { useSourceActions } from "../datasources-page";

export function DataSourceDetail({ id }: { id: string }) {
  const params = useSearchParams();
  const router = useRouter();
  const qc = useQueryClient();
  const canManage = useCan("datasources:manage");
  const ds = useQuery({ queryKey: keys.datasource(id), queryFn: () => api<DataSource>(`/datasources/${id}`) });
  const schema = useSchema(id);
  const { test, refresh } = useSourceActions();
  const update = useMutation({
    mutationFn: (body: CreateDataSourceRequest) =>
      api<DataSource>(`/datasources/${id}`, {
        method: "PATCH",
        json: { name: body.name, config: body.config, limits: body.limits, credentials: body.credentials ?? undefined },
      }),
    onSuccess: () => {
      toast.success("Saved");
      void qc.invalidateQueries({ queryKey: ["datasources"] });
    },
  });
  const remove = useMutation({
    mutationFn: () => api<void>(`/datasources/${id}`, { method: "DELETE" }),
    onSuccess: () => {
      toast.success("Data source deleted");
      void qc.invalidateQueries({ queryKey: ["datasources"] });
      router.push("/datasources");
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  if (ds.error) return <div className="p-6"><ErrorNotice error={ds.error} /></div>;
  if (!ds.data) return <div className="p-6"><Skeleton className="h-96" /></div>;
  const d = ds.data;

  return (
    <div>
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            <Link href="/datasources" aria-label="All data sources" className="text-muted-foreground hover:text-foreground">
              <ArrowLeft className="size-5" />
            </Link>
            {d.name}
            <HealthBadge health={d.health} />
          </span>
        }
        description={
          <>
            {describeConfig(d.config)} · {d.schema.tables} tables · schema generation {d.schema.generation}, read <Time iso={d.schema.refreshed_at} />
          </>
        }
        actions={
          <>
            <Button variant="outline" asChild>
              <Link href={`/ask?ds=${d.id}`}>
                <Sparkles /> Ask
              </Link>
            </Button>
            <Button variant="outline" onClick={() => test.mutate(d.id)} disabled={test.isPending}>
              {test.isPending ? <Loader2 className="animate-spin" /> : <Plug />} Test connection
            </Button>
            {canManage && (
              <Button
                variant="outline"
                onClick={() => refresh.mutate(d.id, { onSuccess: () => void qc.invalidateQueries({ queryKey: keys.schema(d.id) }) })}
                disabled={refresh.isPending}
              >
                <RefreshCw className={refresh.isPending ? "animate-spin" : undefined} /> Refresh schema
              </Button>
            )}
          </>
        }
      />
      {d.health.status === "failing" && d.health.error && (
        <div className="px-6 pt-4">
          <ErrorNotice error={new Error(`The last health check failed: ${d.health.error}`)} />
        </div>
      )}
      <Tabs defaultValue={params.get("tab") ?? "schema"} className="px-6 py-4">
        <TabsList>
          <TabsTrigger value="schema">Schema</TabsTrigger>
          <TabsTrigger value="semantic">Semantic layer</TabsTrigger>
          <TabsTrigger value="policies">Row policies</TabsTrigger>
          {canManage && <TabsTrigger value="settings">Settings</TabsTrigger>}
        </TabsList>
        <TabsContent value="schema">
          {schema.error ? <ErrorNotice error={schema.error} /> : schema.data ? <SchemaBrowser schema={schema.data.schema} datasourceId={d.id} /> : <Skeleton className="h-96" />}
        </TabsContent>
        <TabsContent value="semantic">
          <SemanticBrowser datasourceId={d.id} />
        </TabsContent>
        <TabsContent value="policies">
          <Policies id={d.id} />
        </TabsContent>
        {canManage && (
          <TabsContent value="settings" className="grid gap-6">
            {update.error && <ErrorNotice error={update.error} className="max-w-2xl" />}
            <DataSourceForm initial={d} hasCredentials={d.has_credentials} submitLabel="Save changes" busy={update.isPending} onSubmit={(b) => update.mutate(b)} />
            <div className="max-w-2xl rounded-lg border border-destructive/40 p-4">
              <h2 className="font-medium">Delete this data source</h2>
              <p className="mb-3 text-sm text-muted-foreground">Its saved questions stop working. The history stays.</p>
              <Confirm
                trigger={
                  <Button variant="destructive">
                    <Trash2 /> Delete data source
                  </Button>
                }
                title={`Delete “${d.name}”?`}
                description="This cannot be undone."
                action="Delete"
                onConfirm={() => remove.mutateAsync()}
              />
            </div>
          </TabsContent>
        )}
      </Tabs>
    </div>
  );
}

function Policies({ id }: { id: string }) {
  const policies = useQuery({ queryKey: ["datasources", id, "policies"], queryFn: () => api<RowPolicies>(`/datasources/${id}/policies`) });
  if (policies.error) return <ErrorNotice error={policies.error} />;
  if (!policies.data) return <Skeleton className="h-32" />;
  if (policies.data.policies.length === 0)
    return (
      <p className="rounded-lg border border-dashed px-4 py-8 text-center text-sm text-muted-foreground">
        No row policies: every role reads every row of this data source.
      </p>
    );
  return (
    <div className="rounded-md border">
      <Table>
        <TableHeader>
          <TableRow className="hover:bg-transparent">
            <TableHead>Table</TableHead>
            <TableHead>Roles</TableHead>
            <TableHead>Rows they see</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {policies.data.policies.map((p, i) => (
            <TableRow key={i}>
              <TableCell className="font-mono text-[13px]">{p.table}</TableCell>
              <TableCell>
                <span className="flex flex-wrap gap-1">
                  {p.roles.map((r) => (
                    <Badge key={r} variant="secondary" className="capitalize">
                      {r}
                    </Badge>
                  ))}
                </span>
              </TableCell>
              <TableCell className="font-mono text-[13px]">{p.predicate}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
