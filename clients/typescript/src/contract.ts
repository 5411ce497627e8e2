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
expectType<Exactly<Profile["image"], string | null>>();
expectType<Exactly<Profile["role"], "customer" | "creator" | "admin" | "system" | "platform_owner">>();

// identity: the e-mail preferences page.
type Preferences = Ok<"/api/user/notification-preferences", "get">["data"];
expectType<Exactly<Preferences["emailMarketing"], boolean>>();
expectType<Exactly<Preferences["emailTransactional"], boolean>>();
expectType<Exactly<Preferences["emailDigest"], boolean>>();

// auth: get-session drives the whole UI; null when signed out.
type Session = Ok<"/api/auth/get-session", "get">;
expectType<Exactly<null extends Session ? true : false, true>>();
type SessionUser = NonNullable<Session>["user"];
expectType<Exactly<SessionUser["id"], string>>();
expectType<Exactly<SessionUser["email"], string>>();

// org: the studio switcher maps over a plain array.
type MyOrganisations = Ok<"/api/organizations/my-organizations", "get">["data"];
expectType<Exactly<MyOrganisations extends unknown[] ? true : false, true>>();
expectType<Exactly<MyOrganisations[number]["slug"], string>>();

// org: the studio guard reads only `role`, null for a removed member.
type MyMembership = Ok<"/api/organizations/{id}/members/my-membership", "get">["data"];
expectType<Exactly<null extends MyMembership["role"] ? true : false, true>>();

// org: the team table reads these of each member.
type TeamMember = Ok<"/api/organizations/{id}/members", "get">["items"][number];
expectType<Exactly<TeamMember["userId"], string>>();
expectType<Exactly<TeamMember["email"], string | null | undefined>>();
expectType<Exactly<TeamMember["avatarUrl"], string | null>>();

// org: every organisation page reads the public info, intro video included.
type PublicInfo = Ok<"/api/organizations/public/{slug}/info", "get">["data"];
expectType<Exactly<PublicInfo["introVideoUrl"], string | null>>();
expectType<Exactly<PublicInfo["brandColors"]["primary"], string>>();

// org: the storefront's creators and figures.
type StorefrontCreator = Ok<"/api/organizations/public/{slug}/creators", "get">["items"][number];
expectType<Exactly<StorefrontCreator["contentCount"], number>>();
type StorefrontStats = Ok<"/api/organizations/public/{slug}/stats", "get">["data"];
expectType<Exactly<StorefrontStats["creators"], number>>();

// org: followers.
type Following = Ok<"/api/organizations/{id}/followers/me", "get">["data"];
expectType<Exactly<Following["following"], boolean>>();
type FollowerCount = Ok<"/api/organizations/{id}/followers/count", "get">["data"];
expectType<Exactly<FollowerCount["count"], number>>();

// content: the content page takes items[0] of the public listing by slug.
type PublicItem = Ok<"/api/content/public", "get">["items"][number];
expectType<Exactly<PublicItem["slug"], string>>();
expectType<Exactly<PublicItem["accessType"], "free" | "paid" | "followers" | "subscribers" | "team">>();
expectType<Exactly<PublicItem["minimumTierId"], string | null>>();
expectType<Exactly<PublicItem["categorySlugs"], string[]>>();
type PublicMediaItem = NonNullable<PublicItem["mediaItem"]>;
expectType<Exactly<PublicMediaItem["thumbnailUrl"], string | null>>();
expectType<Exactly<PublicMediaItem["hlsPreviewUrl"], string | null>>();
expectType<Exactly<PublicMediaItem["durationSeconds"], number | null>>();

// content: the studio's drafts badge reads only the total.
type StudioList = Ok<"/api/content", "get">;
expectType<Exactly<StudioList["pagination"]["total"], number>>();

// content: the storefront's category shelf maps over a plain array.
type PublicCategories = Ok<"/api/content/public/categories", "get">["data"];
expectType<Exactly<PublicCategories extends unknown[] ? true : false, true>>();
expectType<Exactly<PublicCategories[number]["slug"], string>>();
expectType<Exactly<PublicCategories[number]["coverImageUrl"], string | null>>();

// content: the studio reads the thumbnail upload's URL, and the category
// editor the cover's key and URL.
type UploadedThumbnail = Ok<"/api/content/{id}/thumbnail", "post">["data"];
expectType<Exactly<UploadedThumbnail["thumbnailUrl"], string>>();
expectType<Exactly<UploadedThumbnail["mimeType"], string>>();
type UploadedCover = Ok<"/api/categories/{id}/cover", "post">["data"];
expectType<Exactly<UploadedCover["coverImageKey"], string>>();
expectType<Exactly<UploadedCover["coverImageUrl"], string>>();
