import type { Metadata } from "next";
import { Suspense } from "react";
import { DataSourceDetail } from "./datasource-detail";

export const metadata: Metadata = { title: "Data source" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <Suspense>
      <DataSourceDetail id={id} />
    </Suspense>
  );
}
