-- A withheld message is recorded but never delivered, under a masked
-- address. A password reset asked for an address without an account writes
-- one (and a decoy token), so that asking for a known and for an unknown
-- address does the same work.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_status_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
    CHECK (status IN ('kept', 'sent', 'failed', 'withheld'));
