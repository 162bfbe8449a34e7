"use client";
import { useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, XCircle } from "lucide-react";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { DataSourceForm } from "@/components/datasources/datasource-form";
import { api } from "@/lib/api/client";
import type { ConnectionTest, CreateDataSourceRequest, DataSource } from "@/lib/api/types";
import { formatMs } from "@/lib/format";

/** Creates the data source, then tests its connection at once and says how it went. */
export function NewDataSource() {
  const router = useRouter();
  const qc = useQueryClient();
  const [created, setCreated] = useState<{ ds: DataSource; test: ConnectionTest } | null>(null);
  const create = useMutation({
    mutationFn: async (body: CreateDataSourceRequest) => {
      const ds = await api<DataSource>("/datasources", { method: "POST", json: body });
      const test = await api<ConnectionTest>(`/datasources/${ds.id}/test`, { method: "POST" });
      return { ds, test };
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ["datasources"] });
      if (r.test.ok) router.push(`/datasources/${r.ds.id}?created=1`);
      else setCreated(r);
    },
  });
  return (
    <div>
      <PageHeader title="Add a data source" description="Kurobe connects read-only; the connection is tested as soon as it is saved." />
      <div className="grid gap-4 px-6 py-4">
        {created && !created.test.ok && (
          <Alert variant="warning" className="max-w-2xl">
            <XCircle />
            <AlertTitle>“{created.ds.name}” was saved, but the connection test failed</AlertTitle>
            <AlertDescription>
              <p>{created.test.error ?? "The database did not answer."}</p>
              <Button asChild size="sm" variant="outline" className="mt-2">
                <Link href={`/datasources/${created.ds.id}?tab=settings`}>Fix its settings</Link>
              </Button>
            </AlertDescription>
          </Alert>
        )}
        {created?.test.ok && (
          <Alert className="max-w-2xl">
            <CheckCircle2 />
            <AlertTitle>Connected in {formatMs(created.test.latency_ms)}</AlertTitle>
          </Alert>
        )}
        {create.error && <ErrorNotice error={create.error} className="max-w-2xl" />}
        {!created && (
          <DataSourceForm
            submitLabel="Save and test connection"
            busy={create.isPending}
            onSubmit={(b) => create.mutate(b)}
            footer={
              <Button variant="ghost" asChild>
                <Link href="/datasources">Cancel</Link>
              </Button>
            }
          />
        )}
      </div>
    </div>
  );
}
