"""Residents' contact details: groups' contact keys and the follow-up list (no Flask).

``keys`` makes, wraps, opens and retires a group's X25519 contact key; ``follow_up`` lists the
consented residents whose area has news, opening their sealed details for one request only.
"""
