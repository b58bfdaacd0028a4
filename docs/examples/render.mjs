// Renders docs/examples/*.md as GitHub does (GFM via `marked`, GitHub's CSS) and screenshots them with
// headless Chromium. Needs no project dependency: install the two packages in a scratch folder first,
//   npm install --prefix /tmp/gfm marked@15 github-markdown-css@5
//   node docs/examples/render.mjs /tmp/gfm
// (Mermaid blocks show as code here; GitHub draws them as charts.)
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const gfm = process.argv[2] ?? "/tmp/gfm";
const { marked } = await import(pathToFileURL(join(gfm, "node_modules/marked/lib/marked.esm.js")).href);
const css = readFileSync(join(gfm, "node_modules/github-markdown-css/github-markdown-light.css"), "utf8");
const here = new URL(".", import.meta.url).pathname;
for (const name of process.argv.slice(3).length ? process.argv.slice(3) : ["plan", "results", "plan-5000"]) {
  let md;
  try {
    md = readFileSync(join(here, `${name}.md`), "utf8");
  } catch {
    continue;
  }
  const html = `<!doctype html><meta charset="utf-8"><style>${css} body{margin:0;background:#fff}
.markdown-body{box-sizing:border-box;max-width:1012px;margin:0 auto;padding:32px}</style>
<article class="markdown-body">${marked.parse(md, { gfm: true })}</article>`;
  const page = join("/tmp", `patron-sync-${name}.html`);
  writeFileSync(page, html);
  execFileSync("chromium", [
    "--headless",
    "--no-sandbox",
    "--hide-scrollbars",
    `--screenshot=${join(here, `${name}.png`)}`,
    "--window-size=1100,2400",
    pathToFileURL(page).href,
  ]);
  console.log(`${name}.png`);
}
