"""Illustrations: prompts, models and pricing, providers, stats, the image store and the
generation flow of DESIGN.md sections 5 and 7. No Textual here."""
