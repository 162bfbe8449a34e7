import type { Metadata } from "next";
import { Guarded } from "@/lib/server/guard";
import { MembersPage } from "./members-page";

export const metadata: Metadata = { title: "Members" };

export default function Page() {
  return (
    <Guarded needs="members:manage" what="members">
      <MembersPage />
    </Guarded>
  );
}
