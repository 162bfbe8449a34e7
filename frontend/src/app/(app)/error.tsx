"use client";
import { RotateCcw } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ErrorNotice } from "@/components/app/error-notice";

export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="mx-auto flex max-w-xl flex-col gap-4 px-6 py-16">
      <ErrorNotice error={error.digest ? new Error(`This page failed to load (reference ${error.digest}).`) : error} />
      <Button variant="outline" className="self-start" onClick={reset}>
        <RotateCcw /> Try again
      </Button>
    </div>
  );
}
