"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { Loader2, Star } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { ErrorNotice } from "@/components/app/error-notice";
import { api } from "@/lib/api/client";
import type { SavedQuestion, SaveQuestionRequest } from "@/lib/api/types";

const schema = z.object({ name: z.string().trim().min(1, "Give it a name").max(200, "Keep it under 200 characters") });

export function SaveDialog({ datasourceId, question, sql }: { datasourceId: string; question: string | null; sql: string }) {
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const form = useForm<{ name: string }>({ resolver: zodResolver(schema), values: { name: question ?? "" } });
  const save = useMutation({
    mutationFn: (body: SaveQuestionRequest) => api<SavedQuestion>("/saved", { method: "POST", json: body }),
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: ["saved"] });
      toast.success(`Saved “${saved.name}”`);
      setOpen(false);
    },
  });
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) save.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm">
          <Star /> Save
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Save question</DialogTitle>
          <DialogDescription>Saved questions keep their SQL, so they run the same way every time and can be pinned to the dashboard.</DialogDescription>
        </DialogHeader>
        <form
          className="grid gap-4"
          onSubmit={form.handleSubmit((v) => save.mutate({ datasource_id: datasourceId, name: v.name, question, sql }))}
        >
          <div className="grid gap-1.5">
            <Label htmlFor="save-name">Name</Label>
            <Input id="save-name" autoFocus aria-invalid={!!form.formState.errors.name} {...form.register("name")} />
            {form.formState.errors.name && <p className="text-xs text-destructive">{form.formState.errors.name.message}</p>}
          </div>
          {save.error && <ErrorNotice error={save.error} />}
          <DialogFooter>
            <Button type="submit" disabled={save.isPending}>
              {save.isPending && <Loader2 className="animate-spin" />} Save question
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
