/**
 * The demo's two simulators, started together on loopback: Alma seeded with the demo's users
 * (alma-seed.ts) and an empty Infiniti, each with its own fake credentials. `patron-sync demo` runs
 * against them inside its own process; `patron-sync simulate` keeps them running for another terminal.
 * The keys below are the simulators' own, not secrets: nothing outside this process accepts them.
 */
import { startAlmaSimulator, type AlmaSimulator } from "./alma.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "./infiniti.ts";

export const DEMO_ALMA_API_KEY = "demo-api-key";
export const DEMO_INFINITI_USERNAME = "autoimport";
export const DEMO_INFINITI_PASSWORD = "demo-password";

export interface DemoPairOptions {
  /** Port on 127.0.0.1 for each simulator (default 0: an ephemeral port). */
  almaPort?: number;
  infinitiPort?: number;
}

export interface DemoPair {
  alma: AlmaSimulator;
  infiniti: InfinitiSimulator;
  /** The environment variables patron-sync reads, pointing at these two simulators. */
  env: {
    ALMA_BASE_URL: string;
    ALMA_API_KEY: string;
    INFINITI_URL: string;
    INFINITI_USERNAME: string;
    INFINITI_PASSWORD: string;
  };
  /** Stops both (idempotent). */
  close(): Promise<void>;
}

export async function startDemoPair(o: DemoPairOptions = {}): Promise<DemoPair> {
  const alma = await startAlmaSimulator({ apiKey: DEMO_ALMA_API_KEY, latencyMs: [5, 20], port: o.almaPort });
  let infiniti: InfinitiSimulator;
  try {
    infiniti = await startInfinitiSimulator({
      username: DEMO_INFINITI_USERNAME,
      password: DEMO_INFINITI_PASSWORD,
      port: o.infinitiPort,
    });
  } catch (e) {
    await alma.close();
    throw e;
  }
  return {
    alma,
    infiniti,
    env: {
      ALMA_BASE_URL: alma.url,
      ALMA_API_KEY: DEMO_ALMA_API_KEY,
      INFINITI_URL: infiniti.url,
      INFINITI_USERNAME: DEMO_INFINITI_USERNAME,
      INFINITI_PASSWORD: DEMO_INFINITI_PASSWORD,
    },
    close: async () => {
      await Promise.all([alma.close(), infiniti.close()]);
    },
  };
}
