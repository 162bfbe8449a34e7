import Link from "next/link";
import { FileQuestion } from "lucide-react";

export default function NotFound() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-md flex-col items-center justify-center gap-3 px-6 text-center">
      <FileQuestion className="size-10 text-muted-foreground" aria-hidden />
      <h1 className="text-xl font-semibold">This page does not exist</h1>
      <p className="text-sm text-muted-foreground">The link may be old, or the thing it pointed to was deleted.</p>
      <Link href="/ask" className="text-sm font-medium text-primary underline-offset-4 hover:underline">
        Back to Ask
      </Link>
    </main>
  );
}
