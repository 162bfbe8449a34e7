// The containers' health check: `node healthcheck.mjs URL` exits 0 when URL answers 2xx
// within three seconds, else 1. Node.js is in the image for the web app anyway, so the
// image needs no curl.
const url = process.argv[2];
if (!url) {
  console.error("usage: node healthcheck.mjs URL");
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) console.error(`${url}: ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${url}: ${error}`);
  process.exit(1);
}
