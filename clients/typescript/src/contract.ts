/**
 * Compile-time checks that the generated types say what the front end
 * reads (see docs/FRONTEND.md). `tsc --noEmit` fails when a field the
 * front end relies on leaves the contract or changes its type.
 */
import type { paths } from "./schema";

type Json<T> = T extends { content: { "application/json": infer Body } } ? Body : never;
type Ok<Path extends keyof paths, Method extends keyof paths[Path]> = paths[Path][Method] extends {
  responses: { 200: infer Answer };
}
  ? Json<Answer>
  : never;

/** `true` only when `Actual` is exactly `Expected`. */
type Exactly<Actual, Expected> = [Actual] extends [Expected]
  ? [Expected] extends [Actual]
    ? true
    : false
  : false;
function expectType<Check extends true>(): Check | undefined {
  return undefined;
}

// identity: the profile the account pages read.
type Profile = Ok<"/api/user/profile", "get">["data"];
expectType<Exactly<Profile["name"], string>>();
expectType<Exactly<Profile["email"], string>>();
expectType<Exactly<Profile["image"], string | null | undefined>>();
expectType<Exactly<Profile["role"], "customer" | "creator" | "admin" | "system" | "platform_owner">>();

// identity: the e-mail preferences page.
type Preferences = Ok<"/api/user/notification-preferences", "get">["data"];
expectType<Exactly<Preferences["emailMarketing"], boolean>>();
expectType<Exactly<Preferences["emailTransactional"], boolean>>();
expectType<Exactly<Preferences["emailDigest"], boolean>>();
