"""Multi-turn conversations (one ComponentDialog per flow) and the runner that keeps their state."""
