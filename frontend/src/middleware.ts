import { NextResponse, type NextRequest } from "next/server";

// Pages need a session; without the cookie, go to the sign-in page first. (Whether the
// session is still valid is the API's call, checked by every page's first request.)
export function middleware(req: NextRequest) {
  const path = req.nextUrl.pathname + req.nextUrl.search;
  if (!req.cookies.get("kurobe_session")) {
    const url = req.nextUrl.clone();
    url.pathname = "/login";
    url.search = req.nextUrl.pathname === "/" ? "" : `?next=${encodeURIComponent(path)}`;
    return NextResponse.redirect(url);
  }
  // Server components read the path to send an expired session back where it was.
  const headers = new Headers(req.headers);
  headers.set("x-kurobe-path", path);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  matcher: ["/((?!api/|_next/|login|favicon.ico|icon.svg|robots.txt).*)"],
};
