import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "tests/e2e",
  use: { baseURL: "http://localhost:3000" },
  webServer: { command: "npm start", url: "http://localhost:3000/healthz", reuseExistingServer: true },
});
