"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { Loader2, Search, UserPlus, Users } from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EmptyState, PageHeader } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { Confirm } from "@/components/app/confirm";
import { Time } from "@/components/app/time";
import { api } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import { ROLES, type AddMemberRequest, type Member, type Role } from "@/lib/api/types";
import { useMe } from "@/lib/me";

const ROLE_HELP: Record<Role, string> = {
  viewer: "Reads answers, history and data sources",
  analyst: "Asks questions, runs SQL, manages own API keys",
  admin: "Also manages data sources, members, audit and engines",
  owner: "Everything, including the organisation itself",
};

/** Roles the caller may hand out: owners any, admins up to admin. */
function grantable(mine: Role): Role[] {
  return mine === "owner" ? [...ROLES] : ROLES.filter((r) => r !== "owner");
}

export function MembersPage() {
  const me = useMe();
  const qc = useQueryClient();
  const [q, setQ] = useState("");
  const members = useQuery({ queryKey: ["members"], queryFn: () => api<Member[]>("/members") });
  const setRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) => api<Member>(`/members/${id}`, { method: "PATCH", json: { role } }),
    onSuccess: (m) => {
      toast.success(`${m.email} is now ${m.role}`);
      void qc.invalidateQueries({ queryKey: ["members"] });
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/members/${id}`, { method: "DELETE" }),
    onSuccess: () => {
      toast.success("Member removed");
      void qc.invalidateQueries({ queryKey: ["members"] });
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const needle = q.trim().toLowerCase();
  const list = (members.data ?? []).filter((m) => !needle || m.email.toLowerCase().includes(needle) || (m.display_name ?? "").toLowerCase().includes(needle));
  const roles = grantable(me.role);

  return (
    <div>
      <PageHeader
        title="Members"
        description="Who belongs to this organisation and what their role lets them do. Role changes apply on their next request."
        actions={
          <>
            <div className="relative w-64">
              <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-muted-foreground" aria-hidden />
              <Input value={q} onChange={(e) => setQ(e.target.value)} placeholder="Find a member" aria-label="Find a member" className="pl-8" />
            </div>
            <AddMember roles={roles} />
          </>
        }
      />
      <div className="px-6 py-4">
        {members.error ? (
          <ErrorNotice error={members.error} />
        ) : members.isLoading ? (
          <Skeleton className="h-40" />
        ) : list.length === 0 ? (
          <EmptyState icon={Users} title={needle ? "No member matches" : "No members"} />
        ) : (
          <div className="rounded-md border">
            <Table>
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Member</TableHead>
                  <TableHead className="w-56">Role</TableHead>
                  <TableHead>Attributes</TableHead>
                  <TableHead className="w-28">Joined</TableHead>
                  <TableHead className="w-24">
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {list.map((m) => {
                  const self = m.user_id === me.user.id;
                  const locked = self || (m.role === "owner" && me.role !== "owner");
                  const attrs = Object.entries(m.attributes ?? {});
                  return (
                    <TableRow key={m.user_id}>
                      <TableCell>
                        <p className="font-medium">
                          {m.display_name || m.email} {self && <Badge variant="secondary">you</Badge>}
                        </p>
                        {m.display_name && <p className="text-xs text-muted-foreground">{m.email}</p>}
                      </TableCell>
                      <TableCell>
                        {locked ? (
                          <Badge variant="outline" className="capitalize">
                            {m.role}
                          </Badge>
                        ) : (
                          <Select value={m.role} onValueChange={(r) => setRole.mutate({ id: m.user_id, role: r as Role })}>
                            <SelectTrigger className="h-8 w-36 capitalize" aria-label={`Role of ${m.email}`}>
                              <SelectValue />
                            </SelectTrigger>
                            <SelectContent>
                              {roles.map((r) => (
                                <SelectItem key={r} value={r} className="capitalize">
                                  {r}
                                </SelectItem>
                              ))}
                            </SelectContent>
                          </Select>
                        )}
                      </TableCell>
                      <TableCell className="max-w-0">
                        <span className="flex flex-wrap gap-1">
                          {attrs.length === 0 && <span className="text-muted-foreground">—</span>}
                          {attrs.map(([k, v]) => (
                            <Badge key={k} variant="outline" className="font-mono font-normal">
                              {k}={typeof v === "string" ? v : JSON.stringify(v)}
                            </Badge>
                          ))}
                        </span>
                      </TableCell>
                      <TableCell className="text-muted-foreground">
                        <Time iso={m.joined_at} />
                      </TableCell>
                      <TableCell className="text-right">
                        {!locked && (
                          <Confirm
                            trigger={
                              <Button variant="ghost" size="sm" className="text-destructive hover:text-destructive">
                                Remove
                              </Button>
                            }
                            title={`Remove ${m.email}?`}
                            description="They lose access to this organisation at once; their account and history stay."
                            action="Remove member"
                            onConfirm={() => remove.mutateAsync(m.user_id)}
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

const addSchema = z.object({
  email: z.string().trim().email("That doesn't look like an email address"),
  display_name: z.string().trim(),
  role: z.enum(["viewer", "analyst", "admin", "owner"]),
  password: z.string().refine((p) => p === "" || p.length >= 12, "At least 12 characters, or leave blank"),
});

function AddMember({ roles }: { roles: Role[] }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const form = useForm<z.infer<typeof addSchema>>({ resolver: zodResolver(addSchema), defaultValues: { email: "", display_name: "", role: "analyst", password: "" } });
  const role = form.watch("role");
  const add = useMutation({
    mutationFn: (body: AddMemberRequest) => api<Member>("/members", { method: "POST", json: body }),
    onSuccess: (m) => {
      toast.success(`${m.email} added as ${m.role}`);
      void qc.invalidateQueries({ queryKey: ["members"] });
      setOpen(false);
      form.reset();
    },
  });
  const e = form.formState.errors;
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) add.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button>
          <UserPlus /> Add member
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Add a member</DialogTitle>
          <DialogDescription>An existing account joins with this role; a new email gets an account with the password you set.</DialogDescription>
        </DialogHeader>
        <form
          className="grid gap-4"
          noValidate
          onSubmit={form.handleSubmit((v) =>
            add.mutate({ email: v.email, role: v.role, display_name: v.display_name || null, password: v.password || null }),
          )}
        >
          <div className="grid gap-1.5">
            <Label htmlFor="m-email">Email</Label>
            <Input id="m-email" type="email" autoFocus aria-invalid={!!e.email} {...form.register("email")} />
            {e.email && <p className="text-xs text-destructive">{e.email.message}</p>}
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="m-name">Display name (optional)</Label>
            <Input id="m-name" {...form.register("display_name")} />
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="m-role">Role</Label>
            <Select value={role} onValueChange={(r) => form.setValue("role", r as Role)}>
              <SelectTrigger id="m-role" className="capitalize">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                {roles.map((r) => (
                  <SelectItem key={r} value={r} className="capitalize">
                    {r}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            <p className="text-xs text-muted-foreground">{ROLE_HELP[role]}</p>
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="m-password">Initial password (new accounts)</Label>
            <Input id="m-password" type="password" autoComplete="new-password" aria-invalid={!!e.password} {...form.register("password")} />
            {e.password && <p className="text-xs text-destructive">{e.password.message}</p>}
          </div>
          {add.error && <ErrorNotice error={add.error} />}
          <DialogFooter>
            <Button type="submit" disabled={add.isPending}>
              {add.isPending && <Loader2 className="animate-spin" />} Add member
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
