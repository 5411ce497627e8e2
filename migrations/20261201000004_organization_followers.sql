-- People who follow an organisation (the storefront's "Follow" button).
-- Following is not membership: it gives no role and is never read by the
-- policies. One row per organisation and user, so following twice is a
-- no-op; it goes with the organisation (hard delete) and with the user's
-- row, and account deletion removes the user's follows in its transaction.
CREATE TABLE organization_followers (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX idx_unique_org_follower ON organization_followers (organization_id, user_id);
CREATE INDEX idx_org_followers_user ON organization_followers (user_id);
