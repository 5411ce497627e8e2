-- The branding fields a theme editor writes as JSON text: token overrides for
-- the light and dark themes, and the pricing FAQ shown on the pricing page.
-- The service checks their shape before storing them.

ALTER TABLE branding_settings
    ADD COLUMN token_overrides      text CHECK (length(token_overrides) <= 20000),
    ADD COLUMN dark_mode_overrides  text CHECK (length(dark_mode_overrides) <= 20000),
    ADD COLUMN dark_token_overrides text CHECK (length(dark_token_overrides) <= 20000),
    ADD COLUMN pricing_faq          text CHECK (length(pricing_faq) <= 100000);
