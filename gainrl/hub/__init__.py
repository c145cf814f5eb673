"""The local Hub stand-in: `storage` (on-disk repos), `server` (HTTP API), `process` (run it as a child)."""
