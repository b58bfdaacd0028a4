import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    {
      // The package ships source maps that point at sources it does not ship; Vite warns once per file.
      // Loading its files without the map comment keeps the test output readable (nothing else changes).
      name: "workflow-parser-without-source-maps",
      load(id) {
        if (!/[\\/]@actions[\\/]workflow-parser[\\/].*\.js$/.test(id)) return null;
        return { code: readFileSync(id, "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, ""), map: null };
      },
    },
  ],
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
