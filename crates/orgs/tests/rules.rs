//! The organisation rules against real PostgreSQL: ownership on create,
//! invitations (address check, single use, waiting for a sign-up,
//! re-inviting a removed member), the last-owner guard, the public view
//! following every change, and partial changes (left out: kept; `null` or
//! an emptied text field: cleared; values: set; required fields refuse
//! `null`).

use codex_database::Patch;
use codex_mail::read_outbox;
use codex_orgs::members::{self, Invitee};
use codex_orgs::membership::MemberRole;
use codex_orgs::organisation::{self, OrganisationFields};
use codex_orgs::settings::{self, BrandingChanges, ContactChanges, FeatureChanges};
use codex_testkit::world::World;
use serde_json::json;
use uuid::Uuid;

trait Helpers {
    async fn user(&self, email: &str) -> String;
    async fn organisation(&self, owner: &str, slug: &str) -> Uuid;
    async fn status_of(&self, organisation: Uuid, user: &str) -> Option<(String, String)>;
    async fn mailed_token(&self, address: &str) -> String;
}

impl Helpers for World {
    async fn user(&self, email: &str) -> String {
        let id = Uuid::new_v4().simple().to_string();
        self.database
            .execute(
                "INSERT INTO users (id, name, email, email_verified, role) VALUES ($1, 'User', $2, true, 'creator')",
                &[id.as_str().into(), email.into()],
            )
            .await
            .expect("user");
        id
    }

    async fn organisation(&self, owner: &str, slug: &str) -> Uuid {
        let fields = OrganisationFields {
            name: Patch::Value("Studio".to_owned()),
            slug: Patch::Value(slug.to_owned()),
            ..OrganisationFields::default()
        };
        organisation::create(self.ctx(), owner, &fields)
            .await
            .expect("create")
            .id
    }

    async fn status_of(&self, organisation: Uuid, user: &str) -> Option<(String, String)> {
        self.database
            .query_opt(
                "SELECT role, status FROM organization_memberships WHERE organization_id = $1 AND user_id = $2",
                &[organisation.into(), user.into()],
            )
            .await
            .expect("query")
            .map(|row| (row.get("role").expect("role"), row.get("status").expect("status")))
    }

    async fn mailed_token(&self, address: &str) -> String {
        let mail = read_outbox(self.database.as_ref(), address, 1)
            .await
            .expect("outbox");
        let text = &mail.first().expect("an invitation e-mail").text;
        let start = text.find("token=").expect("a link") + "token=".len();
        text[start..].chars().take(43).collect()
    }
}

fn invitee(email: &str, user_id: Option<&str>) -> Invitee {
    Invitee {
        email: email.to_owned(),
        user_id: user_id.map(str::to_owned),
    }
}

#[tokio::test]
async fn invitations_are_for_their_address_once_and_can_follow_a_removal() {
    let world = World::new().await;
    let owner = world.user("owner@example.com").await;
    let organisation = world.organisation(&owner, "night-studio").await;
    assert_eq!(
        world.status_of(organisation, &owner).await,
        Some(("owner".to_owned(), "active".to_owned()))
    );

    // Invited before they have an account; the invitation waits.
    members::invite(
        world.ctx(),
        organisation,
        &owner,
        &invitee("New@Example.com", None),
        MemberRole::Creator,
    )
    .await
    .expect("invite");
    let token = world.mailed_token("new@example.com").await;
    let stranger = world.user("stranger@example.com").await;
    let refused = members::respond(world.ctx(), &token, &stranger, "stranger@example.com", true)
        .await
        .expect_err("another address");
    assert_eq!(refused.status().as_u16(), 403);

    let newcomer = world.user("new@example.com").await;
    members::respond(world.ctx(), &token, &newcomer, "new@example.com", true)
        .await
        .expect("accept");
    assert_eq!(
        world.status_of(organisation, &newcomer).await,
        Some(("creator".to_owned(), "active".to_owned()))
    );
    let again = members::respond(world.ctx(), &token, &newcomer, "new@example.com", true)
        .await
        .expect_err("single use");
    assert_eq!(again.status().as_u16(), 400);

    let duplicate = members::invite(
        world.ctx(),
        organisation,
        &owner,
        &invitee("new@example.com", Some(&newcomer)),
        MemberRole::Member,
    )
    .await
    .expect_err("already a member");
    assert_eq!(duplicate.status().as_u16(), 409);

    members::remove(world.ctx(), organisation, &newcomer, false)
        .await
        .expect("a manager removes a member");
    assert_eq!(
        world.status_of(organisation, &newcomer).await,
        Some(("creator".to_owned(), "inactive".to_owned()))
    );
    members::invite(
        world.ctx(),
        organisation,
        &owner,
        &invitee("new@example.com", Some(&newcomer)),
        MemberRole::Member,
    )
    .await
    .expect("a removed member can be invited again");
    let token = world.mailed_token("new@example.com").await;
    members::respond(world.ctx(), &token, &newcomer, "new@example.com", true)
        .await
        .expect("accept again");
    assert_eq!(
        world.status_of(organisation, &newcomer).await,
        Some(("member".to_owned(), "active".to_owned()))
    );
}

#[tokio::test]
async fn the_last_owner_is_never_demoted_or_removed() {
    let world = World::new().await;
    let owner = world.user("a@example.com").await;
    let organisation = world.organisation(&owner, "guarded").await;
    for attempt in [
        members::change_role(world.ctx(), organisation, &owner, MemberRole::Admin, true)
            .await
            .map(|_| ()),
        members::remove(world.ctx(), organisation, &owner, true).await,
    ] {
        assert_eq!(attempt.expect_err("guarded").status().as_u16(), 422);
    }
    let second = world.user("b@example.com").await;
    world
        .database
        .execute(
            "INSERT INTO organization_memberships (organization_id, user_id, role) VALUES ($1, $2, 'owner')",
            &[organisation.into(), second.as_str().into()],
        )
        .await
        .expect("second owner");
    members::change_role(world.ctx(), organisation, &owner, MemberRole::Admin, true)
        .await
        .expect("with another owner, one may step down");
    let last = members::remove(world.ctx(), organisation, &second, true)
        .await
        .expect_err("now the last owner");
    assert_eq!(last.status().as_u16(), 422);
}

#[tokio::test]
async fn only_an_owner_makes_or_unmakes_owners() {
    let world = World::new().await;
    let owner = world.user("o@example.com").await;
    let organisation = world.organisation(&owner, "owned").await;
    let admin = world.user("adm@example.com").await;
    world
        .database
        .execute(
            "INSERT INTO organization_memberships (organization_id, user_id, role) VALUES ($1, $2, 'admin')",
            &[organisation.into(), admin.as_str().into()],
        )
        .await
        .expect("an admin");
    // An admin (not an owner) may neither promote themself nor touch the owner.
    for attempt in [
        members::change_role(world.ctx(), organisation, &admin, MemberRole::Owner, false)
            .await
            .map(|_| ()),
        members::change_role(world.ctx(), organisation, &owner, MemberRole::Member, false)
            .await
            .map(|_| ()),
        members::remove(world.ctx(), organisation, &owner, false).await,
    ] {
        assert_eq!(attempt.expect_err("owners only").status().as_u16(), 403);
    }
    assert_eq!(
        world.status_of(organisation, &owner).await,
        Some(("owner".to_owned(), "active".to_owned()))
    );
    assert_eq!(
        world.status_of(organisation, &admin).await,
        Some(("admin".to_owned(), "active".to_owned()))
    );
    // An owner may.
    members::change_role(world.ctx(), organisation, &admin, MemberRole::Owner, true)
        .await
        .expect("an owner grants ownership");
}

#[tokio::test]
async fn the_public_view_follows_every_change() {
    let world = World::new().await;
    let owner = world.user("c@example.com").await;
    let organisation = world.organisation(&owner, "before").await;
    let first = organisation::public_view(world.ctx(), "before")
        .await
        .expect("view");
    assert_eq!(first.info.name, "Studio");
    assert_eq!(first.branding.primary_color_hex, "#3B82F6");

    settings::update_branding(
        world.ctx(),
        organisation,
        BrandingChanges {
            primary_color_hex: Patch::Value("#abcdef".to_owned()),
            ..BrandingChanges::default()
        },
    )
    .await
    .expect("branding");
    let changed = organisation::public_view(world.ctx(), "before")
        .await
        .expect("view");
    assert_eq!(changed.info.brand_colors.primary, "#ABCDEF");

    let renamed = OrganisationFields {
        slug: Patch::Value("after".to_owned()),
        name: Patch::Value("Renamed".to_owned()),
        ..OrganisationFields::default()
    };
    organisation::update(world.ctx(), organisation, &renamed)
        .await
        .expect("update");
    let gone = organisation::public_view(world.ctx(), "before")
        .await
        .expect_err("old slug");
    assert_eq!(gone.status().as_u16(), 404);
    let moved = organisation::public_view(world.ctx(), "after")
        .await
        .expect("new slug");
    assert_eq!(moved.info.name, "Renamed");

    organisation::delete(world.ctx(), organisation)
        .await
        .expect("delete");
    assert!(
        organisation::public_view(world.ctx(), "after")
            .await
            .is_err()
    );
    assert!(
        organisation::slug_available(world.ctx(), "after")
            .await
            .expect("check")
    );
}

/// A request body, as the organisation service deserialises it.
fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid body")
}

/// The one field a 400 names.
fn refused_field(error: &codex_errors::ApiError) -> String {
    assert_eq!(error.status().as_u16(), 400, "{error:?}");
    let details = error.details().expect("details");
    details["details"][0]["path"]
        .as_str()
        .expect("a field")
        .to_owned()
}

#[tokio::test]
async fn a_change_keeps_what_is_left_out_clears_what_is_null_and_sets_values() {
    let world = World::new().await;
    let owner = world.user("e@example.com").await;
    let id = world.organisation(&owner, "patched").await;
    let ctx = world.ctx();
    let update = move |changes: serde_json::Value| {
        let fields: OrganisationFields = body(changes);
        async move { organisation::update(ctx, id, &fields).await }
    };

    let set =
        update(json!({"description": " Made here. ", "websiteUrl": "https://studio.example"}))
            .await
            .expect("values set");
    assert_eq!(set.description.as_deref(), Some("Made here."));
    assert_eq!(set.website_url.as_deref(), Some("https://studio.example"));

    let renamed = update(json!({"name": "Studio Two"}))
        .await
        .expect("a rename");
    assert_eq!(renamed.name, "Studio Two");
    assert_eq!(
        (
            renamed.description.as_deref(),
            renamed.website_url.as_deref()
        ),
        (Some("Made here."), Some("https://studio.example")),
        "left out: kept"
    );

    let cleared = update(json!({"description": null}))
        .await
        .expect("null clears");
    assert_eq!(cleared.description, None);
    assert_eq!(
        cleared.website_url.as_deref(),
        Some("https://studio.example"),
        "left out: kept"
    );
    assert_eq!(cleared.name, "Studio Two");

    let emptied = update(json!({"websiteUrl": "  "}))
        .await
        .expect("an emptied form field clears");
    assert_eq!(emptied.website_url, None);

    let untouched = update(json!({})).await.expect("nothing sent");
    assert_eq!(untouched, emptied, "nothing written, updatedAt included");
    assert_eq!(
        organisation::get(world.ctx(), id).await.expect("read"),
        emptied
    );

    for (changes, field) in [
        (json!({"name": null}), "name"),
        (json!({"name": " "}), "name"),
        (json!({"slug": null}), "slug"),
        (json!({"description": "ok", "slug": ""}), "slug"),
    ] {
        let refused = update(changes.clone()).await.expect_err("required");
        assert_eq!(refused_field(&refused), field, "{changes}");
    }
    assert_eq!(
        organisation::get(world.ctx(), id).await.expect("read"),
        emptied,
        "a refused change writes nothing"
    );
}

#[tokio::test]
async fn settings_changes_follow_the_same_convention() {
    let world = World::new().await;
    let owner = world.user("f@example.com").await;
    let id = world.organisation(&owner, "conventional").await;
    let ctx = world.ctx();

    let branding = move |changes: serde_json::Value| {
        let changes: BrandingChanges = body(changes);
        settings::update_branding(ctx, id, changes)
    };
    let set = branding(json!({"secondaryColorHex": "#010203", "fontBody": "Inter"}))
        .await
        .expect("values set");
    assert_eq!(set.secondary_color_hex.as_deref(), Some("#010203"));
    let kept = branding(json!({"fontBody": null}))
        .await
        .expect("null clears");
    assert_eq!(kept.font_body, None);
    assert_eq!(
        kept.secondary_color_hex.as_deref(),
        Some("#010203"),
        "left out: kept"
    );
    let emptied = branding(json!({"secondaryColorHex": ""}))
        .await
        .expect("empty clears");
    assert_eq!(emptied.secondary_color_hex, None);
    for field in ["primaryColorHex", "radiusValue", "heroLayout"] {
        let refused = branding(json!({ field: null }))
            .await
            .expect_err("required");
        assert_eq!(refused_field(&refused), field);
    }

    let contact = move |changes: serde_json::Value| {
        let changes: ContactChanges = body(changes);
        settings::update_contact(ctx, id, changes)
    };
    let set =
        contact(json!({"twitterUrl": "https://twitter.com/studio", "timezone": "Europe/Paris"}))
            .await
            .expect("values set");
    assert_eq!(
        set.twitter_url.as_deref(),
        Some("https://twitter.com/studio")
    );
    let cleared = contact(json!({"twitterUrl": null}))
        .await
        .expect("null clears");
    assert_eq!(cleared.twitter_url, None);
    assert_eq!(cleared.timezone, "Europe/Paris", "left out: kept");
    let refused = contact(json!({"platformName": null}))
        .await
        .expect_err("required");
    assert_eq!(refused_field(&refused), "platformName");

    let features = move |changes: serde_json::Value| {
        let changes: FeatureChanges = body(changes);
        settings::update_features(ctx, id, changes)
    };
    let switched = features(json!({"enableSubscriptions": true}))
        .await
        .expect("a switch");
    assert!(switched.enable_subscriptions && switched.enable_signups);
    let refused = features(json!({"enableSignups": null}))
        .await
        .expect_err("a switch cannot be cleared");
    assert_eq!(refused_field(&refused), "enableSignups");
    assert_eq!(
        settings::features(world.ctx(), id).await.expect("read"),
        switched
    );
}
