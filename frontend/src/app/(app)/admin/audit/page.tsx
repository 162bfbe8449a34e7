import type { Metadata } from "next";
import { Guarded } from "@/lib/server/guard";
import { AuditPage } from "./audit-page";

export const metadata: Metadata = { title: "Audit log" };

export default function Page() {
  return (
    <Guarded needs="audit:read" what="the audit log">
      <AuditPage />
    </Guarded>
  );
}
