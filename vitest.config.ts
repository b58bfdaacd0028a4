import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node refuses:
    // Vite transforms the package instead (test/github/workflow-runner.ts).
    server: { deps: { inline: [/@actions\/workflow-parser/] } },
  },
});
