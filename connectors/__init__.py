"""Everything that speaks a channel's protocol, and the gateway every channel goes through."""
