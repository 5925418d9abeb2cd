"""Models: one module per method (plain nn.Modules and their losses), the encoders they share, and their registry."""
