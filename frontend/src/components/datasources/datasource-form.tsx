"use client";
import { useForm, useWatch } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { Loader2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import type { CreateDataSourceRequest, DataSource } from "@/lib/api/types";

const port = z.coerce.number().int().min(1, "1 to 65535").max(65535, "1 to 65535");
const positive = z.coerce.number().int().min(1, "At least 1");

export const dataSourceSchema = z
  .object({
    name: z.string().trim().min(1, "Give it a name").max(200),
    kind: z.enum(["duckdb", "postgres", "trino"]),
    path: z.string().trim(),
    host: z.string().trim(),
    port: z.union([port, z.literal("")]),
    database: z.string().trim(),
    user: z.string().trim(),
    url: z.string().trim(),
    catalog: z.string().trim(),
    schema: z.string().trim(),
    auth: z.enum(["none", "basic", "jwt"]),
    secret: z.string(),
    timeout_seconds: positive,
    max_rows: positive,
    cache_ttl_seconds: z.coerce.number().int().min(0, "0 or more"),
  })
  .superRefine((v, ctx) => {
    const need = (field: keyof typeof v, message: string) => {
      if (!String(v[field] ?? "").trim()) ctx.addIssue({ code: "custom", path: [field], message });
    };
    if (v.kind === "duckdb") need("path", "The DuckDB file's path on the server");
    if (v.kind === "postgres") {
      need("host", "The host name");
      need("database", "The database name");
      need("user", "The user name");
    }
    if (v.kind === "trino") {
      need("url", "http://host:port");
      need("catalog", "The catalog");
      need("user", "The user name");
      if (v.url && !/^https?:\/\//.test(v.url)) ctx.addIssue({ code: "custom", path: ["url"], message: "Starts with http:// or https://" });
    }
  });

export type DataSourceValues = z.input<typeof dataSourceSchema>;
type Parsed = z.output<typeof dataSourceSchema>;

export function defaultsFrom(ds?: DataSource): DataSourceValues {
  const c = ds?.config;
  return {
    name: ds?.name ?? "",
    kind: c?.kind ?? "postgres",
    path: c?.kind === "duckdb" ? c.path : "",
    host: c?.kind === "postgres" ? c.host : "",
    port: c?.kind === "postgres" ? (c.port ?? 5432) : 5432,
    database: c?.kind === "postgres" ? c.database : "",
    user: c?.kind === "postgres" || c?.kind === "trino" ? c.user : "",
    url: c?.kind === "trino" ? c.url : "",
    catalog: c?.kind === "trino" ? c.catalog : "",
    schema: c?.kind === "trino" ? (c.schema ?? "") : "",
    auth: c?.kind === "trino" ? (c.auth ?? "none") : "none",
    secret: "",
    timeout_seconds: ds?.limits.timeout_seconds ?? 30,
    max_rows: ds?.limits.max_rows ?? 10000,
    cache_ttl_seconds: ds?.limits.cache_ttl_seconds ?? 300,
  };
}

/** The request body for the values; a blank secret leaves stored credentials alone. */
export function toRequest(v: Parsed): CreateDataSourceRequest {
  const config: CreateDataSourceRequest["config"] =
    v.kind === "duckdb"
      ? { kind: "duckdb", path: v.path }
      : v.kind === "postgres"
        ? { kind: "postgres", host: v.host, port: Number(v.port || 5432), database: v.database, user: v.user }
        : { kind: "trino", url: v.url, catalog: v.catalog, schema: v.schema || null, user: v.user, auth: v.auth };
  const credentials = v.secret
    ? v.kind === "trino" && v.auth === "jwt"
      ? { token: v.secret }
      : { password: v.secret }
    : null;
  return {
    name: v.name,
    config,
    credentials,
    limits: { timeout_seconds: v.timeout_seconds, max_rows: v.max_rows, cache_ttl_seconds: v.cache_ttl_seconds },
  };
}

function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      {children}
      {error ? (
        <p id={`${id}-error`} className="text-xs text-destructive">
          {error}
        </p>
      ) : hint ? (
        <p className="text-xs text-muted-foreground">{hint}</p>
      ) : null}
    </div>
  );
}

export function DataSourceForm({
  initial,
  submitLabel,
  busy,
  hasCredentials,
  onSubmit,
  footer,
}: {
  initial?: DataSource;
  submitLabel: string;
  busy: boolean;
  hasCredentials?: boolean;
  onSubmit: (body: CreateDataSourceRequest) => void;
  footer?: React.ReactNode;
}) {
  const form = useForm<DataSourceValues, unknown, Parsed>({ resolver: zodResolver(dataSourceSchema), defaultValues: defaultsFrom(initial) });
  const kind = useWatch({ control: form.control, name: "kind" });
  const auth = useWatch({ control: form.control, name: "auth" });
  const e = form.formState.errors;
  const reg = (name: keyof DataSourceValues) => ({
    id: `ds-${name}`,
    "aria-invalid": !!e[name],
    "aria-describedby": e[name] ? `ds-${name}-error` : undefined,
    ...form.register(name),
  });

  return (
    <form className="grid max-w-2xl gap-5" onSubmit={form.handleSubmit((v) => onSubmit(toRequest(v)))} noValidate>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="ds-name" label="Name" error={e.name?.message}>
          <Input {...reg("name")} placeholder="Sales warehouse" />
        </Field>
        <Field id="ds-kind" label="Engine">
          <Select value={kind} onValueChange={(v) => form.setValue("kind", v as DataSourceValues["kind"])} disabled={!!initial}>
            <SelectTrigger id="ds-kind">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="postgres">PostgreSQL</SelectItem>
              <SelectItem value="duckdb">DuckDB</SelectItem>
              <SelectItem value="trino">Trino</SelectItem>
            </SelectContent>
          </Select>
        </Field>
      </div>

      <fieldset className="grid gap-4 rounded-lg border p-4">
        <legend className="px-1 text-sm font-medium">Connection</legend>
        {kind === "duckdb" && (
          <Field id="ds-path" label="File path" error={e.path?.message} hint="A .duckdb file inside one of the server's allowed folders; opened read-only.">
            <Input {...reg("path")} placeholder="/srv/data/shop.duckdb" />
          </Field>
        )}
        {kind === "postgres" && (
          <>
            <div className="grid gap-4 sm:grid-cols-[1fr_8rem]">
              <Field id="ds-host" label="Host" error={e.host?.message}>
                <Input {...reg("host")} placeholder="db.internal" />
              </Field>
              <Field id="ds-port" label="Port" error={e.port?.message}>
                <Input {...reg("port")} inputMode="numeric" />
              </Field>
            </div>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field id="ds-database" label="Database" error={e.database?.message}>
                <Input {...reg("database")} />
              </Field>
              <Field id="ds-user" label="User" error={e.user?.message}>
                <Input {...reg("user")} autoComplete="off" />
              </Field>
            </div>
          </>
        )}
        {kind === "trino" && (
          <>
            <Field id="ds-url" label="URL" error={e.url?.message}>
              <Input {...reg("url")} placeholder="https://trino.internal:8443" />
            </Field>
            <div className="grid gap-4 sm:grid-cols-3">
              <Field id="ds-catalog" label="Catalog" error={e.catalog?.message}>
                <Input {...reg("catalog")} />
              </Field>
              <Field id="ds-schema" label="Schema (optional)">
                <Input {...reg("schema")} />
              </Field>
              <Field id="ds-user" label="User" error={e.user?.message}>
                <Input {...reg("user")} autoComplete="off" />
              </Field>
            </div>
            <Field id="ds-auth" label="Authentication">
              <Select value={auth} onValueChange={(v) => form.setValue("auth", v as DataSourceValues["auth"])}>
                <SelectTrigger id="ds-auth">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="none">None</SelectItem>
                  <SelectItem value="basic">Password</SelectItem>
                  <SelectItem value="jwt">JWT</SelectItem>
                </SelectContent>
              </Select>
            </Field>
          </>
        )}
        {(kind === "postgres" || (kind === "trino" && auth !== "none")) && (
          <Field
            id="ds-secret"
            label={kind === "trino" && auth === "jwt" ? "Token" : "Password"}
            hint={hasCredentials ? "Stored encrypted and never shown. Leave blank to keep the current one." : "Stored encrypted and never shown again."}
          >
            <Input {...reg("secret")} type="password" autoComplete="new-password" placeholder={hasCredentials ? "••••••••" : undefined} />
          </Field>
        )}
      </fieldset>

      <fieldset className="grid gap-4 rounded-lg border p-4 sm:grid-cols-3">
        <legend className="px-1 text-sm font-medium">Limits</legend>
        <Field id="ds-timeout_seconds" label="Timeout (s)" error={e.timeout_seconds?.message}>
          <Input {...reg("timeout_seconds")} inputMode="numeric" />
        </Field>
        <Field id="ds-max_rows" label="Max rows" error={e.max_rows?.message}>
          <Input {...reg("max_rows")} inputMode="numeric" />
        </Field>
        <Field id="ds-cache_ttl_seconds" label="Cache for (s)" error={e.cache_ttl_seconds?.message}>
          <Input {...reg("cache_ttl_seconds")} inputMode="numeric" />
        </Field>
      </fieldset>

      <div className="flex flex-wrap items-center gap-2">
        <Button type="submit" disabled={busy}>
          {busy && <Loader2 className="animate-spin" />} {submitLabel}
        </Button>
        {footer}
      </div>
    </form>
  );
}
