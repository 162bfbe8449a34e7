"use client";
import { useQuery } from "@tanstack/react-query";
import { Boxes, Calendar, Hash, Link2, Tag } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { EmptyState } from "@/components/app/page-header";
import { ErrorNotice } from "@/components/app/error-notice";
import { toApiError } from "@/lib/api/errors";
import type { SemanticAnswer } from "@/lib/semantic";

/** The semantic layer: entities with their dimensions, measures, synonyms and joins. */
export function SemanticBrowser({ datasourceId }: { datasourceId: string }) {
  const model = useQuery({
    queryKey: ["semantic", datasourceId],
    queryFn: async () => {
      const res = await fetch(`/api/semantic/${datasourceId}`);
      if (!res.ok) throw await toApiError(res);
      return (await res.json()) as SemanticAnswer;
    },
  });
  if (model.error) return <ErrorNotice error={model.error} />;
  if (model.isLoading) return <Skeleton className="h-64" />;
  const m = model.data?.model;
  if (!m?.entities?.length) {
    return (
      <EmptyState icon={Boxes} title="Drafted from the schema">
        This data source has no semantic model file ({model.data?.file}), so the offline engine drafts one from the schema: each table becomes an entity,
        its text and date columns dimensions, its numbers measures.
      </EmptyState>
    );
  }
  return (
    <div className="flex flex-col gap-4">
      {m.description && <p className="text-sm text-muted-foreground">{m.description}</p>}
      <div className="grid gap-4 lg:grid-cols-2">
        {m.entities.map((e) => (
          <Card key={e.name}>
            <CardHeader>
              <CardTitle className="flex items-center gap-2">
                {e.name}
                {e.table && <span className="font-mono text-xs font-normal text-muted-foreground">{e.table}</span>}
              </CardTitle>
              {e.description && <CardDescription>{e.description}</CardDescription>}
              {!!e.synonyms?.length && (
                <p className="text-xs text-muted-foreground">Also called: {e.synonyms.join(", ")}</p>
              )}
            </CardHeader>
            <CardContent className="grid gap-3 text-sm">
              {!!e.dimensions?.length && (
                <div>
                  <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted-foreground">Dimensions</h3>
                  <ul className="flex flex-wrap gap-1.5">
                    {e.dimensions.map((d) => (
                      <li key={d.name}>
                        <Badge variant="secondary" title={d.synonyms?.length ? `Also: ${d.synonyms.join(", ")}` : undefined}>
                          {d.kind === "time" ? <Calendar /> : <Tag />} {d.name}
                        </Badge>
                      </li>
                    ))}
                  </ul>
                </div>
              )}
              {!!e.measures?.length && (
                <div>
                  <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted-foreground">Measures</h3>
                  <ul className="flex flex-wrap gap-1.5">
                    {e.measures.map((ms) => (
                      <li key={ms.name}>
                        <Badge variant="default" title={ms.description}>
                          <Hash /> {ms.name}
                          {ms.aggregation && <span className="font-normal opacity-70">{ms.aggregation}{ms.column ? `(${ms.column})` : ""}</span>}
                        </Badge>
                      </li>
                    ))}
                  </ul>
                </div>
              )}
              {!!e.joins?.length && (
                <p className="flex items-center gap-1.5 text-xs text-muted-foreground">
                  <Link2 className="size-3.5" aria-hidden /> Joins {e.joins.map((j) => j.to).join(", ")}
                </p>
              )}
            </CardContent>
          </Card>
        ))}
      </div>
    </div>
  );
}
