//! Memberships and invitations: inviting by e-mail, accepting and declining,
//! revoking, listing members, changing roles, removing members, the
//! last-owner guard, and what members of one organisation may do in another.
//! Every test makes its own users and organisations.

use codex_e2e::accounts::{Browser, Reply, fresh_email};
use codex_e2e::organisations::{
    ORG, TINY_PNG, accept, assert_refused, decline, file_form, fresh_slug, id_of,
    invitation_token_in, invite, invite_and_read_token, items_of, join, mail_count, members,
    my_membership, my_organizations, next_mail, org_path, owner_with_org, public_branding,
    public_info, settings, signed_in, signed_in_as, text_of,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `GET /api/organizations/{id}/invitations`.
async fn pending_invitations(browser: &Browser, org_id: &str) -> Reply {
    browser
        .call(browser.get(ORG, &org_path(org_id, "/invitations")))
        .await
}

/// `PATCH /api/organizations/{id}/members/{userId}` with `{role}`.
async fn set_role(browser: &Browser, org_id: &str, user_id: &str, role: &str) -> Reply {
    browser
        .call(
            browser
                .patch(ORG, &org_path(org_id, &format!("/members/{user_id}")))
                .json(&json!({"role": role})),
        )
        .await
}

/// `DELETE /api/organizations/{id}/members/{userId}`.
async fn remove(browser: &Browser, org_id: &str, user_id: &str) -> Reply {
    browser
        .call(browser.delete(ORG, &org_path(org_id, &format!("/members/{user_id}"))))
        .await
}

/// The member with `user_id` in a members list, if listed.
fn member_in<'a>(items: &'a [Value], user_id: &str) -> Option<&'a Value> {
    items.iter().find(|item| item["userId"] == user_id)
}

/// The active members of `org_id` as its owner sees them.
async fn active_members(owner: &Browser, org_id: &str) -> Vec<Value> {
    let reply = members(owner, org_id, &[("status", "active")]).await;
    items_of(&reply, "active members")
}

#[tokio::test]
async fn an_invited_user_accepts_and_becomes_a_member() {
    let (owner, owner_account, org) = owner_with_org().await;
    let id = id_of(&org);
    let name = text_of(&org, "name");
    let (invitee, account) = signed_in("customer").await;

    let outsider = my_membership(&invitee, &id).await;
    for field in ["role", "status", "joinedAt"] {
        assert!(
            outsider.get(field).is_some_and(Value::is_null),
            "{field}: {outsider}"
        );
    }

    let seen = mail_count(&account.email).await;
    let invited = invite(&owner, &id, &account.email, "creator").await;
    invited.expect_status(StatusCode::CREATED, "invite");
    let invitation = &invited.body["data"];
    assert_eq!(invitation["email"], account.email.as_str(), "{invitation}");
    assert_eq!(invitation["role"], "creator", "{invitation}");
    assert_eq!(invitation["status"], "pending", "{invitation}");
    assert!(invitation["expiresAt"].is_string(), "{invitation}");
    let invitation_id = id_of(invitation);

    let mail = next_mail(&account.email, seen).await;
    let subject = mail["subject"].as_str().unwrap_or_default();
    assert!(subject.contains(&name), "subject names {name}: {mail}");
    let token = invitation_token_in(&mail);

    let pending = items_of(
        &pending_invitations(&owner, &id).await,
        "pending invitations",
    );
    let listed = pending
        .iter()
        .find(|item| item["id"] == invitation_id.as_str())
        .unwrap_or_else(|| panic!("invitation {invitation_id} listed: {pending:?}"));
    assert_eq!(listed["email"], account.email.as_str(), "{listed}");
    assert_eq!(listed["status"], "pending", "{listed}");

    let accepted = accept(&invitee, &token).await;
    accepted.expect_status(StatusCode::OK, "accept");
    let data = &accepted.body["data"];
    assert_eq!(data["organizationId"], id.as_str(), "{data}");
    assert_eq!(data["role"], "creator", "{data}");
    assert_eq!(data["status"], "active", "{data}");
    assert!(data["joinedAt"].is_string(), "{data}");

    let membership = my_membership(&invitee, &id).await;
    assert_eq!(membership["role"], "creator", "{membership}");
    assert_eq!(membership["status"], "active", "{membership}");
    let mine = my_organizations(&invitee).await;
    assert!(
        mine.iter()
            .any(|entry| entry["id"] == id.as_str() && entry["role"] == "creator"),
        "{mine:?}"
    );

    for (who, browser) in [("owner", &owner), ("new member", &invitee)] {
        let reply = members(browser, &id, &[]).await;
        let items = items_of(&reply, &format!("members as the {who}"));
        assert_eq!(items.len(), 2, "{who}: {}", reply.body);
        let owner_entry = member_in(&items, &owner_account.id)
            .unwrap_or_else(|| panic!("owner listed: {}", reply.body));
        assert_eq!(owner_entry["role"], "owner", "{}", reply.body);
        let entry = member_in(&items, &account.id)
            .unwrap_or_else(|| panic!("new member listed: {}", reply.body));
        assert_eq!(entry["role"], "creator", "{}", reply.body);
        assert_eq!(entry["status"], "active", "{}", reply.body);
        assert_eq!(entry["name"], "E2E Tester", "{}", reply.body);
        assert!(entry.get("image").is_some(), "{}", reply.body);
        assert!(entry["joinedAt"].is_string(), "{}", reply.body);
    }

    let after = items_of(
        &pending_invitations(&owner, &id).await,
        "pending invitations after",
    );
    assert!(
        !after
            .iter()
            .any(|item| item["id"] == invitation_id.as_str()),
        "accepted invitation still pending: {after:?}"
    );
}

#[tokio::test]
async fn only_the_invited_address_accepts_and_only_once() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let (invitee, account) = signed_in("customer").await;
    let (_, token) = invite_and_read_token(&owner, &id, &account.email, "member").await;

    let (intruder, _) = signed_in("customer").await;
    let refused = accept(&intruder, &token).await;
    assert_refused(
        &refused,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "accept as someone else",
    );
    assert!(
        my_membership(&intruder, &id).await["role"].is_null(),
        "the intruder did not join"
    );
    assert_refused(
        &accept(&Browser::new(), &token).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "accept without a session",
    );

    let accepted = accept(&invitee, &token).await;
    accepted.expect_status(StatusCode::OK, "accept as the invited address");
    assert_eq!(accepted.body["data"]["role"], "member", "{}", accepted.body);

    let again = accept(&invitee, &token).await;
    assert_refused(
        &again,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "accept a used token",
    );
    for garbage in ["garbage".to_owned(), "A".repeat(43)] {
        let reply = accept(&invitee, &garbage).await;
        assert_refused(
            &reply,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("accept {garbage:?}"),
        );
    }
    let listed = active_members(&owner, &id).await;
    assert_eq!(listed.len(), 2, "owner and one member: {listed:?}");
}

#[tokio::test]
async fn an_address_without_an_account_joins_after_registering() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let email = fresh_email();
    let (invitation, token) = invite_and_read_token(&owner, &id, &email, "admin").await;
    assert_eq!(invitation["email"], email.as_str(), "{invitation}");

    let (browser, account) = signed_in_as(&email, "customer").await;
    let accepted = accept(&browser, &token).await;
    accepted.expect_status(StatusCode::OK, "accept after registering");
    assert_eq!(accepted.body["data"]["role"], "admin", "{}", accepted.body);

    let listed = active_members(&owner, &id).await;
    let entry =
        member_in(&listed, &account.id).unwrap_or_else(|| panic!("new member listed: {listed:?}"));
    assert_eq!(entry["role"], "admin", "{listed:?}");
    let membership = my_membership(&browser, &id).await;
    assert_eq!(membership["role"], "admin", "{membership}");
    assert_eq!(membership["status"], "active", "{membership}");
}

#[tokio::test]
async fn inviting_again_replaces_the_token_and_members_cannot_be_invited() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let email = fresh_email();
    let (_, first) = invite_and_read_token(&owner, &id, &email, "member").await;
    let (_, second) = invite_and_read_token(&owner, &id, &email, "member").await;
    assert_ne!(first, second, "a new token");

    let pending = items_of(
        &pending_invitations(&owner, &id).await,
        "pending invitations",
    );
    let for_address = pending
        .iter()
        .filter(|item| item["email"] == email.as_str())
        .count();
    assert_eq!(for_address, 1, "one pending invitation: {pending:?}");

    let (invitee, _) = signed_in_as(&email, "customer").await;
    assert_refused(
        &accept(&invitee, &first).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "accept the replaced token",
    );
    assert!(
        my_membership(&invitee, &id).await["role"].is_null(),
        "not a member yet"
    );
    accept(&invitee, &second)
        .await
        .expect_status(StatusCode::OK, "accept the new token");

    let seen = mail_count(&email).await;
    let member_again = invite(&owner, &id, &email, "admin").await;
    assert_refused(
        &member_again,
        StatusCode::CONFLICT,
        "CONFLICT",
        "invite an active member",
    );
    assert_eq!(
        mail_count(&email).await,
        seen,
        "no mail for a refused invite"
    );
    assert_eq!(my_membership(&invitee, &id).await["role"], "member");
}

#[tokio::test]
async fn invitations_are_checked_and_only_managers_send_or_see_them() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let (creator, _) = join(&owner, &id, "creator").await;
    let (admin, _) = join(&owner, &id, "admin").await;
    let email = fresh_email();

    for (what, role, address) in [
        ("owner role", "owner", email.as_str()),
        ("unknown role", "boss", email.as_str()),
        ("bad address", "member", "not-an-address"),
    ] {
        let reply = invite(&owner, &id, address, role).await;
        assert_refused(&reply, StatusCode::BAD_REQUEST, "VALIDATION_ERROR", what);
    }
    let by_member = invite(&creator, &id, &email, "member").await;
    assert_refused(
        &by_member,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a non-manager invites",
    );
    assert_eq!(mail_count(&email).await, 0, "no mail for refused invites");
    assert_refused(
        &pending_invitations(&creator, &id).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a non-manager lists invitations",
    );

    let (invitation, _) = invite_and_read_token(&admin, &id, &email, "member").await;
    let invitation_id = id_of(&invitation);
    let listed = items_of(
        &pending_invitations(&admin, &id).await,
        "invitations as admin",
    );
    assert!(
        listed
            .iter()
            .any(|item| item["id"] == invitation_id.as_str()),
        "{listed:?}"
    );
    let revoke = creator
        .call(creator.delete(
            ORG,
            &org_path(&id, &format!("/invitations/{invitation_id}")),
        ))
        .await;
    assert_refused(
        &revoke,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a non-manager revokes",
    );
    let still = items_of(
        &pending_invitations(&owner, &id).await,
        "invitations after a refused revoke",
    );
    assert!(
        still
            .iter()
            .any(|item| item["id"] == invitation_id.as_str()),
        "{still:?}"
    );
}

#[tokio::test]
async fn a_revoked_invitation_cannot_be_accepted() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let email = fresh_email();
    let (invitation, token) = invite_and_read_token(&owner, &id, &email, "member").await;
    let invitation_id = id_of(&invitation);

    let revoked = owner
        .call(owner.delete(
            ORG,
            &org_path(&id, &format!("/invitations/{invitation_id}")),
        ))
        .await;
    revoked.expect_status(StatusCode::NO_CONTENT, "revoke");
    let pending = items_of(
        &pending_invitations(&owner, &id).await,
        "invitations after revoking",
    );
    assert!(
        !pending
            .iter()
            .any(|item| item["id"] == invitation_id.as_str()),
        "{pending:?}"
    );

    let (invitee, _) = signed_in_as(&email, "customer").await;
    assert_refused(
        &accept(&invitee, &token).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "accept a revoked invitation",
    );
    assert!(
        my_membership(&invitee, &id).await["role"].is_null(),
        "not a member"
    );
}

#[tokio::test]
async fn a_declined_invitation_cannot_be_accepted() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let (invitee, account) = signed_in("customer").await;
    let (invitation, token) = invite_and_read_token(&owner, &id, &account.email, "creator").await;

    let declined = decline(&invitee, &token).await;
    declined.expect_status(StatusCode::NO_CONTENT, "decline");
    assert_refused(
        &accept(&invitee, &token).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "accept after declining",
    );
    assert!(
        my_membership(&invitee, &id).await["role"].is_null(),
        "not a member"
    );
    let pending = items_of(
        &pending_invitations(&owner, &id).await,
        "invitations after declining",
    );
    assert!(
        !pending.iter().any(|item| item["id"] == invitation["id"]),
        "{pending:?}"
    );
}

#[tokio::test]
async fn members_are_listed_paged_and_filtered() {
    let (owner, owner_account, org) = owner_with_org().await;
    let id = id_of(&org);
    let (_, admin) = join(&owner, &id, "admin").await;
    let (_, creator) = join(&owner, &id, "creator").await;
    let (member_browser, member) = join(&owner, &id, "member").await;

    let all = members(&owner, &id, &[]).await;
    let items = items_of(&all, "all members");
    assert_eq!(items.len(), 4, "{}", all.body);
    assert_eq!(all.body["pagination"]["total"], 4, "{}", all.body);
    for (account, role) in [
        (&owner_account, "owner"),
        (&admin, "admin"),
        (&creator, "creator"),
        (&member, "member"),
    ] {
        let entry =
            member_in(&items, &account.id).unwrap_or_else(|| panic!("{role} listed: {}", all.body));
        assert_eq!(entry["role"], role, "{}", all.body);
        assert_eq!(entry["status"], "active", "{}", all.body);
    }

    for role in ["owner", "admin", "creator", "member"] {
        let reply = members(&member_browser, &id, &[("role", role)]).await;
        let filtered = items_of(&reply, &format!("role={role}"));
        assert_eq!(filtered.len(), 1, "role={role}: {}", reply.body);
        assert_eq!(filtered[0]["role"], role, "{}", reply.body);
    }

    let page = members(&owner, &id, &[("limit", "3"), ("page", "2")]).await;
    assert_eq!(items_of(&page, "page 2").len(), 1, "{}", page.body);
    assert_eq!(page.body["pagination"]["totalPages"], 2, "{}", page.body);

    let bad = members(&owner, &id, &[("role", "boss")]).await;
    assert_refused(
        &bad,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "role=boss",
    );

    remove(&owner, &id, &member.id)
        .await
        .expect_status(StatusCode::NO_CONTENT, "remove the member");
    let active = active_members(&owner, &id).await;
    assert_eq!(active.len(), 3, "{active:?}");
    assert!(member_in(&active, &member.id).is_none(), "{active:?}");
    let inactive = members(&owner, &id, &[("status", "inactive")]).await;
    let inactive_items = items_of(&inactive, "status=inactive");
    assert_eq!(inactive_items.len(), 1, "{}", inactive.body);
    assert_eq!(
        inactive_items[0]["userId"],
        member.id.as_str(),
        "{}",
        inactive.body
    );
    assert_eq!(inactive_items[0]["status"], "inactive", "{}", inactive.body);
}

#[tokio::test]
async fn roles_change_but_the_last_owner_stays_an_owner() {
    let (owner, owner_account, org) = owner_with_org().await;
    let id = id_of(&org);
    let (second, second_account) = join(&owner, &id, "member").await;

    let alone = set_role(&owner, &id, &owner_account.id, "admin").await;
    assert_refused(
        &alone,
        StatusCode::UNPROCESSABLE_ENTITY,
        "BUSINESS_LOGIC_ERROR",
        "demote the last owner",
    );
    assert_eq!(my_membership(&owner, &id).await["role"], "owner");

    assert_refused(
        &set_role(&owner, &id, &second_account.id, "boss").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "unknown role",
    );
    assert_refused(
        &set_role(&second, &id, &second_account.id, "owner").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a member promotes themself",
    );
    assert_eq!(my_membership(&second, &id).await["role"], "member");

    let promoted = set_role(&owner, &id, &second_account.id, "admin").await;
    promoted.expect_status(StatusCode::OK, "promote to admin");
    assert_eq!(
        promoted.body["data"]["userId"],
        second_account.id.as_str(),
        "{}",
        promoted.body
    );
    assert_eq!(promoted.body["data"]["role"], "admin", "{}", promoted.body);
    // Only an owner makes or unmakes owners: an admin may neither demote the
    // owner nor promote themself (who could then remove the owner).
    assert_refused(
        &set_role(&second, &id, &owner_account.id, "admin").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "an admin demotes the owner",
    );
    assert_refused(
        &set_role(&second, &id, &second_account.id, "owner").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "an admin promotes themself to owner",
    );
    assert_eq!(my_membership(&second, &id).await["role"], "admin");

    set_role(&owner, &id, &second_account.id, "owner")
        .await
        .expect_status(StatusCode::OK, "promote to owner");
    let demoted = set_role(&second, &id, &owner_account.id, "member").await;
    demoted.expect_status(StatusCode::OK, "demote one of two owners");
    assert_eq!(demoted.body["data"]["role"], "member", "{}", demoted.body);
    assert_eq!(my_membership(&owner, &id).await["role"], "member");
    assert_refused(
        &set_role(&owner, &id, &owner_account.id, "owner").await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "the demoted owner promotes themself back",
    );

    assert_refused(
        &set_role(&second, &id, &second_account.id, "admin").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "BUSINESS_LOGIC_ERROR",
        "the new last owner demotes themself",
    );
    let owners = members(&owner, &id, &[("role", "owner")]).await;
    let listed = items_of(&owners, "owners");
    assert_eq!(listed.len(), 1, "{}", owners.body);
    assert_eq!(
        listed[0]["userId"],
        second_account.id.as_str(),
        "{}",
        owners.body
    );
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once_and_can_be_invited_back() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let (member, account) = join(&owner, &id, "creator").await;

    members(&member, &id, &[])
        .await
        .expect_status(StatusCode::OK, "members as a member");
    assert!(
        my_organizations(&member)
            .await
            .iter()
            .any(|entry| entry["id"] == id.as_str()),
        "listed before removal"
    );

    remove(&owner, &id, &account.id)
        .await
        .expect_status(StatusCode::NO_CONTENT, "remove");
    assert_refused(
        &members(&member, &id, &[]).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "members right after removal",
    );
    let mine = my_organizations(&member).await;
    assert!(
        !mine.iter().any(|entry| entry["id"] == id.as_str()),
        "{mine:?}"
    );
    let inactive = members(&owner, &id, &[("status", "inactive")]).await;
    let entry = member_in(&items_of(&inactive, "inactive"), &account.id)
        .cloned()
        .unwrap_or_else(|| panic!("removed member inactive: {}", inactive.body));
    assert_eq!(entry["status"], "inactive", "{}", inactive.body);

    let (_, token) = invite_and_read_token(&owner, &id, &account.email, "member").await;
    let back = accept(&member, &token).await;
    back.expect_status(StatusCode::OK, "accept again");
    assert_eq!(back.body["data"]["status"], "active", "{}", back.body);
    assert_eq!(back.body["data"]["role"], "member", "{}", back.body);
    members(&member, &id, &[])
        .await
        .expect_status(StatusCode::OK, "members after rejoining");
    let membership = my_membership(&member, &id).await;
    assert_eq!(membership["status"], "active", "{membership}");
    assert_eq!(membership["role"], "member", "{membership}");
}

#[tokio::test]
async fn managers_remove_members_but_never_the_last_owner() {
    let (owner, owner_account, org) = owner_with_org().await;
    let id = id_of(&org);
    let (admin, _) = join(&owner, &id, "admin").await;
    let (member, _) = join(&owner, &id, "member").await;
    let (_, creator) = join(&owner, &id, "creator").await;

    assert_refused(
        &remove(&member, &id, &creator.id).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a member removes someone",
    );
    assert_refused(
        &remove(&owner, &id, &owner_account.id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "BUSINESS_LOGIC_ERROR",
        "the owner removes themself, the last owner",
    );
    assert_refused(
        &remove(&admin, &id, &owner_account.id).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "an admin removes the owner",
    );
    assert_eq!(my_membership(&owner, &id).await["status"], "active");

    remove(&admin, &id, &creator.id)
        .await
        .expect_status(StatusCode::NO_CONTENT, "an admin removes a creator");
    let listed = active_members(&owner, &id).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(member_in(&listed, &creator.id).is_none(), "{listed:?}");
    assert!(
        member_in(&listed, &owner_account.id).is_some(),
        "{listed:?}"
    );
}

#[tokio::test]
async fn organisations_are_isolated_from_each_other() {
    let (owner_a, owner_a_account, org_a) = owner_with_org().await;
    let a = id_of(&org_a);
    let a_name = text_of(&org_a, "name");
    let (member_a, member_a_account) = join(&owner_a, &a, "member").await;
    let (owner_b, _, org_b) = owner_with_org().await;
    let b = id_of(&org_b);
    let email = fresh_email();

    let member_checks = [
        ("B's members", member_a.get(ORG, &org_path(&b, "/members"))),
        (
            "PATCH A",
            member_a
                .patch(ORG, &org_path(&a, ""))
                .json(&json!({"name": "E2E Taken"})),
        ),
        (
            "PATCH B",
            member_a
                .patch(ORG, &org_path(&b, ""))
                .json(&json!({"name": "E2E Taken"})),
        ),
        (
            "invite in A",
            member_a
                .post(ORG, &org_path(&a, "/invitations"))
                .json(&json!({"email": email, "role": "member"})),
        ),
        (
            "A's settings",
            member_a.get(ORG, &org_path(&a, "/settings")),
        ),
        (
            "B's settings",
            member_a.get(ORG, &org_path(&b, "/settings")),
        ),
    ];
    for (what, request) in member_checks {
        let reply = member_a.call(request).await;
        assert_refused(
            &reply,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("A's member: {what}"),
        );
    }

    let stranger_checks = [
        (
            "PATCH A",
            owner_b
                .patch(ORG, &org_path(&a, ""))
                .json(&json!({"name": "E2E Taken"})),
        ),
        ("A's members", owner_b.get(ORG, &org_path(&a, "/members"))),
        (
            "invite in A",
            owner_b
                .post(ORG, &org_path(&a, "/invitations"))
                .json(&json!({"email": email, "role": "admin"})),
        ),
        ("DELETE A", owner_b.delete(ORG, &org_path(&a, ""))),
        (
            "A's branding",
            owner_b
                .put(ORG, &org_path(&a, "/settings/branding"))
                .json(&json!({"primaryColorHex": "#FF0000"})),
        ),
        (
            "A's features",
            owner_b
                .put(ORG, &org_path(&a, "/settings/features"))
                .json(&json!({"enableSubscriptions": true})),
        ),
        (
            "remove A's member",
            owner_b.delete(
                ORG,
                &org_path(&a, &format!("/members/{}", member_a_account.id)),
            ),
        ),
    ];
    for (what, request) in stranger_checks {
        let reply = owner_b.call(request).await;
        assert_refused(
            &reply,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("B's owner: {what}"),
        );
    }
    assert_eq!(mail_count(&email).await, 0, "no invitation was sent");

    let read = owner_a.call(owner_a.get(ORG, &org_path(&a, ""))).await;
    read.expect_status(StatusCode::OK, "A after the refusals");
    assert_eq!(read.body["data"]["name"], a_name.as_str(), "{}", read.body);
    let listed = active_members(&owner_a, &a).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let settings = settings(&owner_a, &a).await;
    settings.expect_status(StatusCode::OK, "A's settings");
    assert_eq!(
        settings.body["data"]["branding"]["primaryColorHex"], "#3B82F6",
        "{}",
        settings.body
    );
    assert_eq!(
        settings.body["data"]["features"]["enableSubscriptions"], false,
        "{}",
        settings.body
    );

    let anonymous = Browser::new();
    let member_path = org_path(&a, &format!("/members/{}", owner_a_account.id));
    let invitation_path = org_path(&a, &format!("/invitations/{}", uuid::Uuid::new_v4()));
    let token = json!({"token": "A".repeat(43)});
    let anonymous_checks = [
        (
            "create",
            anonymous
                .post(ORG, "/api/organizations")
                .json(&json!({"name": "E2E Anonymous", "slug": fresh_slug()})),
        ),
        ("list", anonymous.get(ORG, "/api/organizations")),
        (
            "check-slug",
            anonymous.get(
                ORG,
                &format!("/api/organizations/check-slug/{}", fresh_slug()),
            ),
        ),
        (
            "by slug",
            anonymous.get(
                ORG,
                &format!("/api/organizations/slug/{}", text_of(&org_a, "slug")),
            ),
        ),
        (
            "my-organizations",
            anonymous.get(ORG, "/api/organizations/my-organizations"),
        ),
        ("by id", anonymous.get(ORG, &org_path(&a, ""))),
        (
            "PATCH",
            anonymous
                .patch(ORG, &org_path(&a, ""))
                .json(&json!({"name": "E2E Anonymous"})),
        ),
        ("DELETE", anonymous.delete(ORG, &org_path(&a, ""))),
        ("members", anonymous.get(ORG, &org_path(&a, "/members"))),
        (
            "my-membership",
            anonymous.get(ORG, &org_path(&a, "/members/my-membership")),
        ),
        (
            "PATCH member",
            anonymous
                .patch(ORG, &member_path)
                .json(&json!({"role": "member"})),
        ),
        ("DELETE member", anonymous.delete(ORG, &member_path)),
        (
            "invite",
            anonymous
                .post(ORG, &org_path(&a, "/invitations"))
                .json(&json!({"email": email, "role": "member"})),
        ),
        (
            "invitations",
            anonymous.get(ORG, &org_path(&a, "/invitations")),
        ),
        ("revoke", anonymous.delete(ORG, &invitation_path)),
        (
            "accept",
            anonymous
                .post(ORG, "/api/organizations/invitations/accept")
                .json(&token),
        ),
        (
            "decline",
            anonymous
                .post(ORG, "/api/organizations/invitations/decline")
                .json(&token),
        ),
        ("settings", anonymous.get(ORG, &org_path(&a, "/settings"))),
        (
            "PUT branding",
            anonymous
                .put(ORG, &org_path(&a, "/settings/branding"))
                .json(&json!({"primaryColorHex": "#FF0000"})),
        ),
        (
            "PUT contact",
            anonymous
                .put(ORG, &org_path(&a, "/settings/contact"))
                .json(&json!({"platformName": "E2E Anonymous"})),
        ),
        (
            "PUT features",
            anonymous
                .put(ORG, &org_path(&a, "/settings/features"))
                .json(&json!({"enableSignups": false})),
        ),
        (
            "POST logo",
            anonymous
                .post(ORG, &org_path(&a, "/settings/branding/logo"))
                .multipart(file_form(
                    "logo",
                    TINY_PNG.to_vec(),
                    "logo.png",
                    "image/png",
                )),
        ),
        (
            "DELETE logo",
            anonymous.delete(ORG, &org_path(&a, "/settings/branding/logo")),
        ),
    ];
    for (what, request) in anonymous_checks {
        let reply = anonymous.call(request).await;
        assert_refused(
            &reply,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            &format!("anonymous {what}"),
        );
    }
    let slug = text_of(&org_a, "slug");
    public_branding(&slug)
        .await
        .expect_status(StatusCode::OK, "anonymous public branding");
    public_info(&slug)
        .await
        .expect_status(StatusCode::OK, "anonymous public info");
    let read = owner_a.call(owner_a.get(ORG, &org_path(&a, ""))).await;
    read.expect_status(StatusCode::OK, "A after anonymous attempts");
    assert_eq!(read.body["data"]["name"], a_name.as_str(), "{}", read.body);
}
