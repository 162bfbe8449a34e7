import type { Metadata } from "next";
import { Guarded } from "@/lib/server/guard";
import { EnginesPage } from "./engines-page";

export const metadata: Metadata = { title: "Engines" };

export default function Page() {
  return (
    <Guarded needs="engines:manage" what="the engine registry">
      <EnginesPage />
    </Guarded>
  );
}
