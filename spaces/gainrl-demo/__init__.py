"""The demo Space folder, installed as `gainrl.space_app` so `gainrl push-space` can upload it."""
