-- 009: an alert batch is named before it is posted, so that a poster that stopped between
-- posting and marking (a crash, a lost response) can find the post in the channel by its
-- reference instead of posting the same alerts again. `batch` is the reference the message
-- carries ("al<first alert id>"), `posting_since` when the first attempt to post it began.
ALTER TABLE alerts ADD COLUMN batch text, ADD COLUMN posting_since timestamptz;
