/**
 * Typed client for the Codex services.
 *
 * `schema.d.ts` is generated from `openapi/codex.json` (itself generated
 * from the handlers) by `npm run generate`; do not edit it by hand.
 *
 * Every service has its own base URL (the front end's service URL
 * settings). The session travels as the `codex-session` cookie, which a
 * server-side caller forwards:
 *
 * ```ts
 * const identity = createCodexClient("http://localhost:42074", { sessionToken });
 * const { data, error } = await identity.GET("/api/user/profile");
 * if (data) console.log(data.data.name);
 * ```
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, operations, paths } from "./schema";

/** A schema of the platform's document, by name. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** The error envelope every service answers with. */
export type ErrorEnvelope = Schema<"ErrorEnvelope">;

export interface CodexClientOptions extends ClientOptions {
  /** Sent as the `codex-session` cookie (server-side callers only). */
  sessionToken?: string;
}

/** A client for the service at `baseUrl`, typed with every path. */
export function createCodexClient(
  baseUrl: string,
  { sessionToken, headers, ...options }: CodexClientOptions = {},
): Client<paths> {
  const merged = new Headers(headers as HeadersInit | undefined);
  if (sessionToken !== undefined) {
    merged.set("Cookie", `codex-session=${sessionToken}`);
  }
  return createClient<paths>({ baseUrl, headers: merged, ...options });
}
