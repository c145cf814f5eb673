"""Jinja templates for the Hub cards gainrl writes (installed as `gainrl.hub_cards`); see `gainrl.cards`."""
