"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { AlertTriangle, Check, Copy, KeyRound, Loader2, Plus } from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EmptyState, PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Confirm } from "@/components/app/confirm";
import { Time } from "@/components/app/time";
import { api } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import { PERMISSIONS, type ApiKey, type CreatedApiKey, type CreateApiKeyRequest, type Permission } from "@/lib/api/types";
import { useMe } from "@/lib/me";

function status(k: ApiKey): { label: string; variant: "success" | "destructive" | "secondary" } {
  if (k.revoked_at) return { label: "Revoked", variant: "destructive" };
  if (k.expires_at && new Date(k.expires_at).getTime() < Date.now()) return { label: "Expired", variant: "secondary" };
  return { label: "Active", variant: "success" };
}

export function ApiKeysPage() {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: () => api<ApiKey[]>("/api-keys") });
  const revoke = useMutation({
    mutationFn: (id: string) => api<ApiKey>(`/api-keys/${id}`, { method: "DELETE" }),
    onSuccess: (k) => {
      toast.success(`Revoked “${k.name}”`);
      void qc.invalidateQueries({ queryKey: ["api-keys"] });
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const list = [...(keys.data ?? [])].sort((a, b) => Number(!!a.revoked_at) - Number(!!b.revoked_at) || b.created_at.localeCompare(a.created_at));
  return (
    <div>
      <PageHeader
        title="API keys"
        description="Keys let scripts and the SDKs act as you, narrowed to the scopes you pick. A key is shown once, when it is created."
        actions={<CreateKey />}
      />
      <div className="px-6 py-4">
        {keys.error ? (
          <ErrorNotice error={keys.error} />
        ) : keys.isLoading ? (
          <Skeleton className="h-40" />
        ) : list.length === 0 ? (
          <EmptyState icon={KeyRound} title="No API keys yet">
            Create one to call Kurobe from scripts, notebooks or the SDKs.
          </EmptyState>
        ) : (
          <div className="rounded-md border">
            <Table data-testid="api-keys-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Name</TableHead>
                  <TableHead className="w-80">Scopes</TableHead>
                  <TableHead className="w-28">Created</TableHead>
                  <TableHead className="w-28">Last used</TableHead>
                  <TableHead className="w-28">Expires</TableHead>
                  <TableHead className="w-24">Status</TableHead>
                  <TableHead className="w-24">
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {list.map((k) => {
                  const s = status(k);
                  return (
                    <TableRow key={k.id} data-testid="api-key-row" data-name={k.name} className={k.revoked_at ? "bg-muted/40" : undefined}>
                      <TableCell>
                        <p className="font-medium">{k.name}</p>
                        <p className="font-mono text-xs text-muted-foreground">{k.prefix}…</p>
                      </TableCell>
                      <TableCell>
                        <Scopes scopes={k.scopes} />
                      </TableCell>
                      <TableCell className="text-muted-foreground">
                        <Time iso={k.created_at} />
                      </TableCell>
                      <TableCell className="text-muted-foreground">{k.last_used_at ? <Time iso={k.last_used_at} /> : "Never"}</TableCell>
                      <TableCell className="text-muted-foreground">{k.expires_at ? <Time iso={k.expires_at} /> : "Never"}</TableCell>
                      <TableCell>
                        <Badge variant={s.variant}>{s.label}</Badge>
                      </TableCell>
                      <TableCell className="text-right">
                        {!k.revoked_at && (
                          <Confirm
                            trigger={
                              <Button variant="ghost" size="sm" className="text-destructive hover:text-destructive">
                                Revoke
                              </Button>
                            }
                            title={`Revoke “${k.name}”?`}
                            description="Anything using this key stops working at once. This cannot be undone."
                            action="Revoke key"
                            onConfirm={() => revoke.mutateAsync(k.id)}
                          />
                        )}
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </div>
        )}
      </div>
    </div>
  );
}

/** A key's scopes: every one when few, otherwise the first and a count (all in the title). */
function Scopes({ scopes }: { scopes: Permission[] }) {
  if (scopes.length >= PERMISSIONS.length) return <Badge variant="secondary">All scopes</Badge>;
  const shown = scopes.length > 3 ? scopes.slice(0, 2) : scopes;
  return (
    <span className="flex flex-wrap gap-1" title={scopes.join(", ")}>
      {shown.map((sc) => (
        <Badge key={sc} variant="outline" className="font-mono font-normal">
          {sc}
        </Badge>
      ))}
      {shown.length < scopes.length && <Badge variant="secondary">+{scopes.length - shown.length} more</Badge>}
    </span>
  );
}

const schema = z.object({
  name: z.string().trim().min(1, "Give the key a name").max(100),
  scopes: z.array(z.string()).min(1, "Pick at least one scope"),
  expires: z.string(),
});

function CreateKey() {
  const me = useMe();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const form = useForm<z.infer<typeof schema>>({ resolver: zodResolver(schema), defaultValues: { name: "", scopes: [...me.permissions], expires: "" } });
  const scopes = form.watch("scopes");
  const create = useMutation({
    mutationFn: (body: CreateApiKeyRequest) => api<CreatedApiKey>("/api-keys", { method: "POST", json: body }),
    onSuccess: (k) => {
      setCreated(k);
      void qc.invalidateQueries({ queryKey: ["api-keys"] });
    },
  });
  function close(o: boolean) {
    setOpen(o);
    if (!o) {
      setCreated(null);
      create.reset();
      form.reset({ name: "", scopes: [...me.permissions], expires: "" });
    }
  }
  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogTrigger asChild>
        <Button>
          <Plus /> Create API key
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-xl">
        {created ? (
          <>
            <DialogHeader>
              <DialogTitle>Copy your new key</DialogTitle>
              <DialogDescription>This is the only time “{created.api_key.name}” is shown. Store it somewhere safe.</DialogDescription>
            </DialogHeader>
            <CreatedKey value={created.key} />
            <p className="flex items-center gap-1.5 text-xs text-warning">
              <AlertTriangle className="size-3.5" aria-hidden /> Kurobe keeps only a hash of it and cannot show it again.
            </p>
            <DialogFooter>
              <Button onClick={() => close(false)}>Done</Button>
            </DialogFooter>
          </>
        ) : (
          <>
            <DialogHeader>
              <DialogTitle>Create API key</DialogTitle>
              <DialogDescription>A key can never do more than your role allows.</DialogDescription>
            </DialogHeader>
            <form
              className="grid gap-4"
              onSubmit={form.handleSubmit((v) =>
                create.mutate({
                  name: v.name,
                  scopes: v.scopes as Permission[],
                  expires_at: v.expires ? new Date(`${v.expires}T23:59:59Z`).toISOString() : null,
                }),
              )}
              noValidate
            >
              <div className="grid gap-1.5">
                <Label htmlFor="key-name">Name</Label>
                <Input id="key-name" placeholder="Nightly export" autoFocus aria-invalid={!!form.formState.errors.name} {...form.register("name")} />
                {form.formState.errors.name && <p className="text-xs text-destructive">{form.formState.errors.name.message}</p>}
              </div>
              <fieldset className="grid gap-2">
                <legend className="mb-1 text-sm font-medium">Scopes</legend>
                <div className="grid grid-cols-2 gap-2">
                  {me.permissions.map((p) => (
                    <label key={p} className="flex items-center gap-2 font-mono text-xs">
                      <Checkbox
                        checked={scopes.includes(p)}
                        onCheckedChange={(c) =>
                          form.setValue("scopes", c === true ? [...scopes, p] : scopes.filter((x) => x !== p), { shouldValidate: true })
                        }
                      />
                      {p}
                    </label>
                  ))}
                </div>
                {form.formState.errors.scopes && <p className="text-xs text-destructive">{form.formState.errors.scopes.message}</p>}
              </fieldset>
              <div className="grid gap-1.5">
                <Label htmlFor="key-expires">Expires (optional)</Label>
                <Input id="key-expires" type="date" className="w-48" min={new Date().toISOString().slice(0, 10)} {...form.register("expires")} />
              </div>
              {create.error && <ErrorNotice error={create.error} />}
              <DialogFooter>
                <Button type="submit" disabled={create.isPending}>
                  {create.isPending && <Loader2 className="animate-spin" />} Create key
                </Button>
              </DialogFooter>
            </form>
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}

function CreatedKey({ value }: { value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="flex items-center gap-2">
      <Input readOnly value={value} aria-label="New API key" className="font-mono text-xs" data-testid="created-key" onFocus={(e) => e.currentTarget.select()} />
      <Button
        variant="outline"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setCopied(true);
            toast.success("Key copied");
          } catch {
            toast.error("Copying needs clipboard access; select the key and copy it by hand");
          }
        }}
      >
        {copied ? <Check /> : <Copy />} {copied ? "Copied" : "Copy"}
      </Button>
    </div>
  );
}
