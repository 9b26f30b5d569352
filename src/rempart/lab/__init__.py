"""The demonstration lab: fake small businesses on loopback, with a ground truth."""
