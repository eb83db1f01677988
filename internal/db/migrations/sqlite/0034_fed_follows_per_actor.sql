-- One follow per remote account and followed actor (issue 12): a remote that follows both the
-- city and its channel (or the channel's account) keeps both follows, each with its own Follow
-- id for an Undo, and gets an Accept for each. SQLite cannot change a primary key in place, so
-- the table is rebuilt (nothing references it, so no foreign key needs turning off), every row
-- kept with the actor it followed ('' for the city).
CREATE TABLE fed_followers_per_actor (
    actor_id     TEXT NOT NULL,
    followed     TEXT NOT NULL DEFAULT '',
    follow_id    TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (actor_id, followed)
);
INSERT INTO fed_followers_per_actor (actor_id, followed, follow_id, inbox, shared_inbox, state, created_at)
    SELECT actor_id, followed, follow_id, inbox, shared_inbox, state, created_at FROM fed_followers;
DROP TABLE fed_followers;
ALTER TABLE fed_followers_per_actor RENAME TO fed_followers;
