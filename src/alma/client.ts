/**
 * The Alma Users API adapter: GET and PUT one user, in XML, through the paced transport.
 * The API key travels only in the Authorization header: never in a URL, a log or an error.
 *
 * A refused key (see key-refusal.ts) throws AlmaKeyRefusedError, and from then on every call of this
 * client throws it again without sending anything: the run stops after the calls already in flight.
 */
import { almaApiError } from "./errors.ts";
import { keyRefusedError, type AlmaKeyRefusedError, type KeyContext } from "./key-refusal.ts";
import type { Transport, TransportResponse } from "./transport.ts";
import { userUrl } from "./url.ts";

export interface AlmaClientOptions {
  baseUrl: string;
  apiKey: string;
  userIdType: string;
  transport: Transport;
  /** Where the key came from and what it is for, for the refusal message (default: ALMA_API_KEY, apply). */
  keyContext?: Omit<KeyContext, "baseUrl">;
}

export class AlmaClient {
  private readonly opts: AlmaClientOptions;
  private refused: AlmaKeyRefusedError | undefined;
  constructor(opts: AlmaClientOptions) {
    this.opts = { ...opts, baseUrl: opts.baseUrl.replace(/\/+$/, "") };
  }

  /** The key refusal that stopped this client, if any. */
  get keyRefused(): AlmaKeyRefusedError | undefined {
    return this.refused;
  }

  private url(id: string, params: Record<string, string>): string {
    return userUrl(this.opts.baseUrl, id, { user_id_type: this.opts.userIdType, ...params });
  }

  private async send(req: Parameters<Transport["send"]>[0]): Promise<TransportResponse> {
    if (this.refused) throw this.refused;
    const res = await this.opts.transport.send(req);
    // Refused while this call was in flight: its answer is not used either.
    const meanwhile = this.refused as AlmaKeyRefusedError | undefined;
    if (meanwhile) throw meanwhile;
    const refusal = keyRefusedError(res.status, res.body, res.headers.get("content-type"), {
      keyName: "ALMA_API_KEY",
      purpose: "apply",
      ...this.opts.keyContext,
      baseUrl: this.opts.baseUrl,
    });
    if (refusal) {
      this.refused = refusal;
      throw refusal;
    }
    return res;
  }

  private headers(): Record<string, string> {
    return {
      Authorization: `apikey ${this.opts.apiKey}`,
      Accept: "application/xml",
      "Content-Type": "application/xml; charset=utf-8",
    };
  }

  /** GET /almaws/v1/users/{id}?view=full. Throws AlmaApiError for Alma's business errors. */
  async getUser(id: string, signal?: AbortSignal): Promise<string> {
    const res = await this.send({
      method: "GET",
      url: this.url(id, { view: "full" }),
      headers: this.headers(),
      signal,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw almaApiError(res.status, res.body, res.headers.get("content-type"));
  }

  /** GET /almaws/v1/users/{value}?user_id_type={idType}&view=brief: the user holding that identifier. */
  async findByIdentifier(value: string, idType: string, signal?: AbortSignal): Promise<string> {
    const res = await this.send({
      method: "GET",
      url: this.url(value, { user_id_type: idType, view: "brief" }),
      headers: this.headers(),
      signal,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw almaApiError(res.status, res.body, res.headers.get("content-type"));
  }

  /** GET /almaws/v1/conf/code-tables/{name} (JSON): a code table of the Configuration API. */
  async getCodeTable(name: string, signal?: AbortSignal): Promise<string> {
    const res = await this.send({
      method: "GET",
      url: `${this.opts.baseUrl}/almaws/v1/conf/code-tables/${encodeURIComponent(name)}`,
      headers: { ...this.headers(), Accept: "application/json" },
      signal,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw almaApiError(res.status, res.body, res.headers.get("content-type"));
  }

  /**
   * PUT the full user back, without PIN letters, role recalculation or registration rules. `override`:
   * the fields an EXTERNAL user's PUT must name to replace them (Update User Details, `override`).
   */
  async putUser(
    id: string,
    xml: string,
    signal?: AbortSignal,
    override: readonly string[] = [],
  ): Promise<string> {
    const res = await this.send({
      method: "PUT",
      url: this.url(id, {
        send_pin_number_letter: "false",
        recalculate_roles: "false",
        registration_rules: "false",
        ...(override.length && { override: override.join(",") }),
      }),
      headers: this.headers(),
      body: xml,
      signal,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw almaApiError(res.status, res.body, res.headers.get("content-type"));
  }
}
