// The semantic layer of a data source, for browsing. The API has no route that returns a
// model yet, so this reads the same file the server does (config/semantic/<slug of the data
// source's name>.yaml), after the API confirmed the caller may read that data source.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { NextResponse, type NextRequest } from "next/server";
import { parse } from "yaml";
import type { DataSource } from "@/lib/api/types";
import { apiUrl, SESSION_COOKIE } from "@/lib/server/upstream";
import { slugify } from "@/lib/semantic";

export const dynamic = "force-dynamic";

function semanticDir() {
  return process.env.KUROBE_SEMANTIC_DIR ?? path.resolve(process.cwd(), "..", "config", "semantic");
}

export async function GET(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const token = req.cookies.get(SESSION_COOKIE)?.value;
  const upstream = await fetch(`${apiUrl()}/v1/datasources/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${token ?? ""}`, accept: "application/json" },
    cache: "no-store",
  }).catch(() => null);
  if (!upstream) return NextResponse.json({ error: { code: "service_unavailable", message: "the Kurobe API did not answer" } }, { status: 502 });
  if (!upstream.ok) return new NextResponse(upstream.body, { status: upstream.status, headers: { "content-type": "application/json" } });
  const ds = (await upstream.json()) as DataSource;
  const file = `${slugify(ds.name)}.yaml`;
  try {
    const text = await readFile(path.join(semanticDir(), file), "utf8");
    return NextResponse.json({ source: "file", file, model: parse(text) });
  } catch {
    return NextResponse.json({ source: "drafted", file, model: null });
  }
}
