import type { Metadata } from "next";
import { Guarded } from "@/lib/server/guard";
import { NewDataSource } from "./new-datasource";

export const metadata: Metadata = { title: "Add a data source" };

export default function Page() {
  return (
    <Guarded needs="datasources:manage" what="adding data sources">
      <NewDataSource />
    </Guarded>
  );
}
