/**
 * Imported first by both entry points (src/cli.ts, src/main.ts).
 *
 * A plan or apply allocates many short-lived objects per patron (the XML tree, the body, the HTTP
 * exchange) while keeping only a few tens of MB of real data (the patron and barcode lists). V8's
 * default heuristics let such a heap grow to several times what is in use: 100,000 patrons planned at
 * 450 MB peak RSS. `--optimize-for-size` makes V8 collect sooner instead of growing; it costs some CPU,
 * which at Alma's 25 calls/s is idle anyway. It is a heuristic, not a limit: a bigger list still fits.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--optimize-for-size");
