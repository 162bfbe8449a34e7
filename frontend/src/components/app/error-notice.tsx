"use client";
import { AlertCircle, Copy } from "lucide-react";
import { toast } from "sonner";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { ApiError } from "@/lib/api/errors";
import { cn } from "@/lib/utils";

/** An error in words a person understands, with the request id to quote to support. */
export function ErrorNotice({ error, className, children }: { error: unknown; className?: string; children?: React.ReactNode }) {
  const api = error instanceof ApiError ? error : null;
  const title = api ? api.title : "Something went wrong";
  const message = api ? sentence(api.message) : error instanceof Error ? sentence(error.message) : String(error);
  return (
    <Alert variant="destructive" className={cn(className)}>
      <AlertCircle />
      <AlertTitle>{title}</AlertTitle>
      <AlertDescription>
        <p>{message}</p>
        {api?.requestId && (
          <button
            type="button"
            className="mt-1 inline-flex items-center gap-1 font-mono text-xs text-muted-foreground hover:text-foreground"
            onClick={() => {
              void navigator.clipboard?.writeText(api.requestId!);
              toast.success("Request id copied");
            }}
            title="Copy the request id"
          >
            Request id {api.requestId} <Copy className="size-3" />
          </button>
        )}
        {children}
      </AlertDescription>
    </Alert>
  );
}

function sentence(s: string) {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
