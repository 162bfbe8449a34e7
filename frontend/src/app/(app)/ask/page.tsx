import type { Metadata } from "next";
import { Suspense } from "react";
import { AskPage } from "./ask-page";

export const metadata: Metadata = { title: "Ask" };

export default function Page() {
  return (
    <Suspense>
      <AskPage />
    </Suspense>
  );
}
