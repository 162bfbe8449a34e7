import type { Metadata } from "next";
import { DataSourcesPage } from "./datasources-page";

export const metadata: Metadata = { title: "Data sources" };

export default function Page() {
  return <DataSourcesPage />;
}
