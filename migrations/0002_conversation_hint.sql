-- Without the Message Content intent the bot explains once per thread how to remix; remember that it did,
-- across restarts.
ALTER TABLE conversations ADD COLUMN intent_hint_sent INTEGER NOT NULL DEFAULT 0 CHECK (intent_hint_sent IN (0, 1));
