"""The social networks: the channel list (clause 4) and the registry of the bodies' accounts (clause 5)."""
