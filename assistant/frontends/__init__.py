"""Front ends: thin adapters from a user's channel to `Assistant`."""
