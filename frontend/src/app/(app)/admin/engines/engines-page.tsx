"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AlertTriangle, CheckCircle2, Loader2, RefreshCw, XCircle } from "lucide-react";
import { toast } from "sonner";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Time } from "@/components/app/time";
import { api } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import type { EnginesStatus, ReloadResult } from "@/lib/api/types";
import { useMe } from "@/lib/me";

export function EnginesPage() {
  const qc = useQueryClient();
  // The file serves every organisation: only the server's operators reload it, and only they
  // are told where it lives and why a reload was refused.
  const { operator } = useMe();
  const status = useQuery({ queryKey: ["engines"], queryFn: () => api<EnginesStatus>("/admin/engines"), refetchInterval: 30_000 });
  const reload = useMutation({
    mutationFn: () => api<ReloadResult>("/admin/engines/reload", { method: "POST" }),
    onSuccess: (r) => {
      qc.setQueryData(["engines"], r.status);
      toast.success(`Reload: ${r.outcome.replace(/_/g, " ")}`);
    },
    onError: (e) => {
      toast.error(errorMessage(e));
      void qc.invalidateQueries({ queryKey: ["engines"] });
    },
  });
  const s = status.data;
  return (
    <div>
      <PageHeader
        title="Engines"
        description="The engine registry: which engines answer questions, in what order, and whether each can be reached."
        actions={
          operator && (
            <Button variant="outline" onClick={() => reload.mutate()} disabled={reload.isPending}>
              {reload.isPending ? <Loader2 className="animate-spin" /> : <RefreshCw />} Reload engines file
            </Button>
          )
        }
      />
      <div className="flex flex-col gap-4 px-6 py-4">
        {status.error ? (
          <ErrorNotice error={status.error} />
        ) : !s ? (
          <Skeleton className="h-64" />
        ) : (
          <>
            <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
              <Stat label="Version" value={`v${s.version}`} />
              <Stat label="Loaded" value={<Time iso={s.loaded_at} />} />
              <Stat label="Refused reloads" value={s.reload_failures} warn={s.reload_failures > 0} />
              <Stat
                label="File"
                value={
                  operator ? (
                    <span className="break-all font-mono text-xs">{s.file ?? "built-in defaults"}</span>
                  ) : (
                    <span className="text-sm font-normal text-muted-foreground">kept by the server&apos;s operators</span>
                  )
                }
              />
            </div>
            {s.last_error ? (
              <Alert variant="destructive">
                <AlertTriangle />
                <AlertTitle>
                  The last reload was refused <Time iso={s.last_error.at} />; the previous registry stays in force
                </AlertTitle>
                <AlertDescription>
                  <pre className="whitespace-pre-wrap font-mono text-xs">{s.last_error.message}</pre>
                </AlertDescription>
              </Alert>
            ) : !operator && s.reload_failures > 0 ? (
              <p className="flex items-center gap-1.5 text-sm text-muted-foreground">
                <AlertTriangle className="size-4 text-warning" aria-hidden /> A reload was refused; the previous registry stays in
                force, and the server&apos;s operators see why.
              </p>
            ) : (
              <p className="flex items-center gap-1.5 text-sm text-muted-foreground">
                <CheckCircle2 className="size-4 text-success" aria-hidden /> No reload error.
              </p>
            )}
            {s.sections.map((sec) => (
              <Card key={sec.kind}>
                <CardHeader>
                  <CardTitle className="capitalize">{sec.kind.replace(/_/g, " ")}</CardTitle>
                  <CardDescription>
                    Default <span className="font-mono">{sec.default}</span>
                    {sec.fallback.length > 0 && (
                      <>
                        , then <span className="font-mono">{sec.fallback.join(" → ")}</span>
                      </>
                    )}
                  </CardDescription>
                </CardHeader>
                <CardContent>
                  <Table>
                    <TableHeader>
                      <TableRow className="hover:bg-transparent">
                        <TableHead>Engine</TableHead>
                        <TableHead>Provider</TableHead>
                        <TableHead>Model</TableHead>
                        <TableHead>Status</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {sec.engines.map((e) => (
                        <TableRow key={e.name}>
                          <TableCell className="font-mono text-[13px]">
                            {e.name} {e.name === sec.default && <Badge variant="default">default</Badge>}
                          </TableCell>
                          <TableCell>{e.provider}</TableCell>
                          <TableCell className="font-mono text-xs">{e.model ?? "—"}</TableCell>
                          <TableCell>
                            {e.available ? (
                              <Badge variant="success">
                                <CheckCircle2 /> Available
                              </Badge>
                            ) : (
                              <span className="flex flex-col gap-0.5">
                                <Badge variant="destructive" className="w-fit">
                                  <XCircle /> Unavailable
                                </Badge>
                                {e.unavailable_reason && <span className="text-xs text-muted-foreground">{e.unavailable_reason}</span>}
                              </span>
                            )}
                          </TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </CardContent>
              </Card>
            ))}
          </>
        )}
      </div>
    </div>
  );
}

function Stat({ label, value, warn }: { label: string; value: React.ReactNode; warn?: boolean }) {
  return (
    <Card>
      <CardContent className="p-4">
        <p className="text-xs text-muted-foreground">{label}</p>
        <p className={warn ? "mt-1 text-lg font-semibold text-warning" : "mt-1 text-lg font-semibold"}>{value}</p>
      </CardContent>
    </Card>
  );
}
