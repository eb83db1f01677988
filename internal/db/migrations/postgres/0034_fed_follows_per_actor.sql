-- One follow per remote account and followed actor (issue 12): a remote that follows both the
-- city and its channel (or the channel's account) keeps both follows, each with its own Follow
-- id for an Undo, and gets an Accept for each. Every row is kept with the actor it followed
-- ('' for the city).
ALTER TABLE fed_followers DROP CONSTRAINT fed_followers_pkey;
ALTER TABLE fed_followers ADD PRIMARY KEY (actor_id, followed);
