// Builds the two committed bundles with @vercel/ncc:
//   dist/index.js      the GitHub Action (action.yml runs it on node24)
//   dist/cli/index.js  the CLI behind `npx patron-sync`
import { execFileSync } from "node:child_process";
import { rmSync, readdirSync } from "node:fs";

const entries = [
  ["src/main.ts", "dist"],
  ["src/cli.ts", "dist/cli"],
];
rmSync("dist", { recursive: true, force: true });
for (const [entry, out] of entries) {
  execFileSync(
    "npx",
    ["ncc", "build", entry, "-o", out, "--license", "licenses.txt", "--target", "es2022", "-q"],
    {
      stdio: "inherit",
    },
  );
}
console.log("bundled:", readdirSync("dist").join(", "));
