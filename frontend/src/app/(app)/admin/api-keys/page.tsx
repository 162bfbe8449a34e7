import type { Metadata } from "next";
import { Guarded } from "@/lib/server/guard";
import { ApiKeysPage } from "./api-keys-page";

export const metadata: Metadata = { title: "API keys" };

export default function Page() {
  return (
    <Guarded needs="api_keys:manage" what="API keys">
      <ApiKeysPage />
    </Guarded>
  );
}
