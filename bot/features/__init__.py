"""Features: each feature module has one `register(commands, actions)` (bot/features/registry.py calls them all);
beside them the helpers they share: ticket notices, incident links, business hours, technicians' sign-ins, SR
filing. Importing this package loads no feature, so edge/, jobs/ and turns/ can use a helper without all of them."""
