"""The Teams edge: adapter and authentication, routing, card actions, the outbound sender, who-is-who."""
