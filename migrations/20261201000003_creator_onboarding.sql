-- Where a new creator is in the studio's onboarding: the step they are on,
-- and when they saw the welcome tour, dismissed it and finished. One row per
-- user, created on first read or write; gone with the user.

CREATE TABLE creator_onboarding (
    user_id         text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    current_step    text NOT NULL DEFAULT 'essentials'
                    CHECK (current_step IN ('essentials', 'profile', 'payouts', 'finish')),
    welcome_seen_at timestamptz,
    dismissed_at    timestamptz,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON creator_onboarding
FOR EACH ROW EXECUTE FUNCTION set_updated_at();
