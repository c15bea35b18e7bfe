"""Microsoft 365 Agents Playground configurations for local mode."""
