/**
 * The Alma Users API adapter: GET and PUT one user, in XML, through the paced transport.
 * The API key travels only in the Authorization header: never in a URL, a log or an error.
 */
import { almaApiError } from "./errors.ts";
import type { Transport } from "./transport.ts";

export interface AlmaClientOptions {
  baseUrl: string;
  apiKey: string;
  userIdType: string;
  transport: Transport;
}

export class AlmaClient {
  private readonly opts: AlmaClientOptions;
  constructor(opts: AlmaClientOptions) {
    this.opts = { ...opts, baseUrl: opts.baseUrl.replace(/\/+$/, "") };
  }

  private url(id: string, params: Record<string, string>): string {
    const q = new URLSearchParams({ user_id_type: this.opts.userIdType, ...params });
    return `${this.opts.baseUrl}/almaws/v1/users/${encodeURIComponent(id)}?${q.toString()}`;
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
    const res = await this.opts.transport.send({
      method: "GET",
      url: this.url(id, { view: "full" }),
      headers: this.headers(),
      signal,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw almaApiError(res.status, res.body, res.headers.get("content-type"));
  }

  /** PUT the full user back, without PIN letters, role recalculation or registration rules. */
  async putUser(id: string, xml: string, signal?: AbortSignal): Promise<string> {
    const res = await this.opts.transport.send({
      method: "PUT",
      url: this.url(id, {
        send_pin_number_letter: "false",
        recalculate_roles: "false",
        registration_rules: "false",
      }),
      headers: this.headers(),
      body: xml,
      signal,
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw almaApiError(res.status, res.body, res.headers.get("content-type"));
  }
}
