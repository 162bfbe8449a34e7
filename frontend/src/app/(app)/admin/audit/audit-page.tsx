"use client";
import { Fragment, useState } from "react";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { ChevronDown, ChevronRight, Loader2, ScrollText } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EmptyState, PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Time } from "@/components/app/time";
import { api } from "@/lib/api/client";
import type { AuditEntry, AuditPage as Page, Member } from "@/lib/api/types";
import { useDebounced } from "@/lib/hooks/use-debounced";

const OUTCOME: Record<string, "success" | "destructive" | "warning"> = { success: "success", denied: "warning", error: "destructive" };

export function AuditPage() {
  const [action, setAction] = useState("");
  const [outcome, setOutcome] = useState("all");
  const [actor, setActor] = useState("all");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const debouncedAction = useDebounced(action.trim());
  const members = useQuery({ queryKey: ["members"], queryFn: () => api<Member[]>("/members") });
  const filters = { action: debouncedAction, outcome, actor, since, until };
  const log = useInfiniteQuery({
    queryKey: ["audit", filters],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      api<Page>("/audit", {
        query: {
          action: debouncedAction || undefined,
          outcome: outcome === "all" ? undefined : outcome,
          actor_user_id: actor === "all" ? undefined : actor,
          since: since ? new Date(`${since}T00:00:00`).toISOString() : undefined,
          until: until ? new Date(`${until}T23:59:59.999`).toISOString() : undefined,
          before: pageParam,
          limit: 100,
        },
      }),
    getNextPageParam: (last) => last.next_before ?? undefined,
  });
  const items = log.data?.pages.flatMap((p) => p.items) ?? [];
  const emails = new Map((members.data ?? []).map((m) => [m.user_id, m.email]));

  return (
    <div>
      <PageHeader title="Audit log" description="Every change, refusal and failure in this organisation, newest first. Append-only." />
      <div className="flex flex-col gap-4 px-6 py-4">
        <div className="flex flex-wrap items-end gap-3" role="search">
          <div className="grid gap-1.5">
            <Label htmlFor="a-action">Action</Label>
            <Input id="a-action" value={action} onChange={(e) => setAction(e.target.value)} placeholder="api_key. or query.run" className="w-56 font-mono text-xs" />
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="a-outcome">Outcome</Label>
            <Select value={outcome} onValueChange={setOutcome}>
              <SelectTrigger id="a-outcome" className="w-36">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="all">Any outcome</SelectItem>
                <SelectItem value="success">Success</SelectItem>
                <SelectItem value="denied">Denied</SelectItem>
                <SelectItem value="error">Error</SelectItem>
              </SelectContent>
            </Select>
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="a-actor">Who</Label>
            <Select value={actor} onValueChange={setActor}>
              <SelectTrigger id="a-actor" className="w-56">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="all">Anyone</SelectItem>
                {(members.data ?? []).map((m) => (
                  <SelectItem key={m.user_id} value={m.user_id}>
                    {m.email}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="a-since">From</Label>
            <Input id="a-since" type="date" value={since} onChange={(e) => setSince(e.target.value)} className="w-40" />
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="a-until">To</Label>
            <Input id="a-until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} className="w-40" />
          </div>
          {(action || outcome !== "all" || actor !== "all" || since || until) && (
            <Button
              variant="ghost"
              onClick={() => {
                setAction("");
                setOutcome("all");
                setActor("all");
                setSince("");
                setUntil("");
              }}
            >
              Clear filters
            </Button>
          )}
        </div>
        {log.error ? (
          <ErrorNotice error={log.error} />
        ) : log.isLoading ? (
          <div className="grid gap-2">
            {Array.from({ length: 8 }, (_, i) => (
              <Skeleton key={i} className="h-10" />
            ))}
          </div>
        ) : items.length === 0 ? (
          <EmptyState icon={ScrollText} title="No entries match these filters" />
        ) : (
          <div className="rounded-md border">
            <Table data-testid="audit-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead className="w-8">
                    <span className="sr-only">Details</span>
                  </TableHead>
                  <TableHead className="w-32">When</TableHead>
                  <TableHead className="w-52">Action</TableHead>
                  <TableHead className="w-36">Outcome</TableHead>
                  <TableHead>Who</TableHead>
                  <TableHead className="w-72">Target</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((e) => (
                  <AuditRow key={e.id} e={e} who={e.actor_user_id ? (emails.get(e.actor_user_id) ?? e.actor_user_id) : e.actor_api_key_id ? `API key ${e.actor_api_key_id.slice(0, 8)}…` : "—"} />
                ))}
              </TableBody>
            </Table>
          </div>
        )}
        {log.hasNextPage && (
          <Button variant="outline" className="self-center" onClick={() => log.fetchNextPage()} disabled={log.isFetchingNextPage}>
            {log.isFetchingNextPage && <Loader2 className="animate-spin" />} Load older
          </Button>
        )}
      </div>
    </div>
  );
}

function AuditRow({ e, who }: { e: AuditEntry; who: string }) {
  const [open, setOpen] = useState(false);
  return (
    <Fragment>
      <TableRow>
        <TableCell>
          <button
            type="button"
            onClick={() => setOpen(!open)}
            aria-expanded={open}
            aria-label={open ? "Hide details" : "Show details"}
            className="rounded p-0.5 text-muted-foreground hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
          >
            {open ? <ChevronDown className="size-4" /> : <ChevronRight className="size-4" />}
          </button>
        </TableCell>
        <TableCell className="text-muted-foreground">
          <Time iso={e.created_at} />
        </TableCell>
        <TableCell className="font-mono text-xs" data-testid="audit-action">
          {e.action}
        </TableCell>
        <TableCell>
          <Badge variant={OUTCOME[e.outcome] ?? "secondary"}>{e.outcome}</Badge>
          {e.error_code && <span className="ml-1 font-mono text-xs text-muted-foreground">{e.error_code}</span>}
        </TableCell>
        <TableCell className="max-w-0 truncate">{who}</TableCell>
        <TableCell className="max-w-0 truncate font-mono text-xs text-muted-foreground">{e.target ?? "—"}</TableCell>
      </TableRow>
      {open && (
        <TableRow className="bg-muted/30 hover:bg-muted/30">
          <TableCell />
          <TableCell colSpan={5}>
            <dl className="grid grid-cols-[8rem_1fr] gap-x-4 gap-y-1 text-xs">
              <dt className="text-muted-foreground">Request id</dt>
              <dd className="font-mono">{e.request_id ?? "—"}</dd>
              <dt className="text-muted-foreground">IP</dt>
              <dd className="font-mono">{e.ip ?? "—"}</dd>
              <dt className="text-muted-foreground">User agent</dt>
              <dd className="truncate">{e.user_agent ?? "—"}</dd>
              <dt className="text-muted-foreground">Details</dt>
              <dd>
                <pre className="max-h-60 overflow-auto whitespace-pre-wrap break-all rounded bg-muted p-2 font-mono">{JSON.stringify(e.details, null, 2)}</pre>
              </dd>
            </dl>
          </TableCell>
        </TableRow>
      )}
    </Fragment>
  );
}
