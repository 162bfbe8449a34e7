import { defineConfig } from "vitest/config";

// The end-to-end suite: playwright-core driving Debian's Chromium against the production
// web app and a real backend that test.sh started. One browser, tests in order.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
