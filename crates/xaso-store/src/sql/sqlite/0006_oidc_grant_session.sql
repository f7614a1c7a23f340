-- The citizen session (the SHA-256 hex of its cookie secret, as `citizen_sessions` keys it) a
-- grant was issued under: the code gets the session that authorized it, and the tokens issued
-- from the code and from every rotation of the refresh token inherit it, so that ending the
-- session revokes them. NULL for grants written before this migration (nothing new revokes
-- them). Not a foreign key: a session row is deleted when it ends, its grants stay (revoked)
-- until they expire.
ALTER TABLE oidc_grants ADD COLUMN session TEXT;
CREATE INDEX oidc_grants_session ON oidc_grants (session) WHERE session IS NOT NULL;
