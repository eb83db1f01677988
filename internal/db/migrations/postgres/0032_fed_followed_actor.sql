-- Which of the city's actors a follower follows (issue 12): the city ('' — every follow before
-- this migration), its video channel (/ap/channel, the Group PeerTube users follow) or the
-- channel's account (/ap/account). All three share the city's inbox and followers, so a
-- follower gets the same activities whichever it follows; the Accept, and a Reject, name the
-- actor that was followed and are signed with its key id, as the follower's server expects.
ALTER TABLE fed_followers ADD COLUMN followed TEXT NOT NULL DEFAULT '';
